// RUN: xdsl-opt %s --split-input-file -p "reorder-filters{group-size=3}" | filecheck %s --check-prefix=G3
// RUN: xdsl-opt %s --split-input-file -p "reorder-filters" | filecheck %s --check-prefix=DEFAULT
// RUN: xdsl-opt %s --split-input-file -p "reorder-filters{group-size=1},reorder-filters{group-size=3}" | filecheck %s --check-prefix=G3
// RUN: xdsl-opt %s --split-input-file -p "reorder-filters{group-size=2}" | filecheck %s --check-prefix=G2
//
// 4 filters x 3 input channels, 3 patterns. Per filter: kept-kernel count and the sorted
// pattern-id sequence of its kernels:
//   filter 0: ids [1, -1, 0]   -> 2 kernels, (0, 1)
//   filter 1: ids [2, 0, 1]    -> 3 kernels, (0, 1, 2)
//   filter 2: ids [-1, 2, -1]  -> 1 kernel,  (2)
//   filter 3: ids [1, 1, -1]   -> 2 kernels, (1, 1)
// Count descending, then sequence: 1, 0, 3, 2. group-size 3 gives groups [0, 3) and [3, 4)
// (the last group is shorter); the default group size 4 gives one group. Values, bias and
// ids stay in the original order: the output channels keep their original layout.
// Re-running the pass (third RUN) recomputes the same order with the new group size.

builtin.module {
  func.func @layer(%x: tensor<1x3x6x6xf32>, %b: tensor<4xf32>) -> tensor<1x4x6x6xf32> {
    %v = arith.constant dense<[[[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0]], [[3.0, 3.0, 3.0, 3.0], [4.0, 4.0, 4.0, 4.0], [5.0, 5.0, 5.0, 5.0]], [[0.0, 0.0, 0.0, 0.0], [6.0, 6.0, 6.0, 6.0], [0.0, 0.0, 0.0, 0.0]], [[7.0, 7.0, 7.0, 7.0], [8.0, 8.0, 8.0, 8.0], [0.0, 0.0, 0.0, 0.0]]]> : tensor<4x3x4xf32>
    %y = pat.conv2d %x, %v, %b {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5], [4, 5, 7, 8]>, ids = dense<[[1, -1, 0], [2, 0, 1], [-1, 2, -1], [1, 1, -1]]> : tensor<4x3xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x3x6x6xf32>, tensor<4x3x4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
    func.return %y : tensor<1x4x6x6xf32>
  }
}

// G3:      %y = pat.conv2d %x, %v, %b {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5], [4, 5, 7, 8]>, ids = dense<{{\[\[}}1, -1, 0], [2, 0, 1], [-1, 2, -1], [1, 1, -1]]> : tensor<4x3xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu", filter_order = array<i64: 1, 0, 3, 2>, filter_groups = array<i64: 0, 3>} : (tensor<1x3x6x6xf32>, tensor<4x3x4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
// DEFAULT:  %y = pat.conv2d {{.*}}filter_order = array<i64: 1, 0, 3, 2>, filter_groups = array<i64: 0>}

// -----

// The order depends on ids alone, so a conv whose values are not constants is reordered too.
// Ties in count and sequence keep the original order (filters 0 and 2); 5 filters in groups
// of 3 leave a last group of 2.
builtin.module {
  func.func @runtime_values(%x: tensor<1x2x4x4xf32>, %v: tensor<5x2x4xf32>) -> tensor<1x5x4x4xf32> {
    %y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -1], [1, 1], [0, -1], [-1, -1], [0, 1]]> : tensor<5x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<5x2x4xf32>) -> tensor<1x5x4x4xf32>
    func.return %y : tensor<1x5x4x4xf32>
  }
}

// G3:      %y = pat.conv2d %x, %v {{{.*}}filter_order = array<i64: 4, 1, 0, 2, 3>, filter_groups = array<i64: 0, 3>}
// DEFAULT: %y = pat.conv2d %x, %v {{{.*}}filter_order = array<i64: 4, 1, 0, 2, 3>, filter_groups = array<i64: 0, 4>}

// -----

// Block pruning: ids rows identical within blocks of 2 original filters (filters 0-1 keep
// channel 0 with pattern 0; 2-3 both channels with pattern 1; 4, a shorter last block,
// channels 0 and 1 with patterns 0 and 1). group-size 2 orders the BLOCKS by the filter key
// (the 2-kernel block 2-3 before 0-1) and keeps them whole, the short block last, so every
// group is one block: [2, 3 | 0, 1 | 4]. Filter by filter the order would be 4, 2, 3, 0, 1
// (what group-size 3 and 4 give: their blocks are not identical), whose groups of 2 would
// mix blocks.
builtin.module {
  func.func @blocks(%x: tensor<1x2x4x4xf32>, %v: tensor<5x2x4xf32>) -> tensor<1x5x4x4xf32> {
    %y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -1], [0, -1], [1, 1], [1, 1], [0, 1]]> : tensor<5x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<5x2x4xf32>) -> tensor<1x5x4x4xf32>
    func.return %y : tensor<1x5x4x4xf32>
  }
}

// G2:      func.func @blocks
// G2:      filter_order = array<i64: 2, 3, 0, 1, 4>, filter_groups = array<i64: 0, 2, 4>}
// G3:      func.func @blocks
// G3:      filter_order = array<i64: 4, 2, 3, 0, 1>, filter_groups = array<i64: 0, 3>}
// DEFAULT: func.func @blocks
// DEFAULT: filter_order = array<i64: 4, 2, 3, 0, 1>, filter_groups = array<i64: 0, 4>}
