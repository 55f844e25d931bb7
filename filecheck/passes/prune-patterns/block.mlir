// RUN: xdsl-opt %s -p "prune-patterns{num-patterns=2 first-layer=true block=2},dce" | filecheck %s
// RUN: xdsl-opt %s -p "prune-patterns{num-patterns=2 first-layer=true},dce" | filecheck %s --check-prefix=KERNEL
// RUN: xdsl-opt %s -p "prune-patterns{num-patterns=2 first-layer=true block=2},prune-connectivity{rate=2.0 block=2},dce" | filecheck %s --check-prefix=UNITS
//
// Block pruning: filters {0, 1} and {2, 3} are blocks; each (block, input channel) gets ONE
// pattern, the one keeping the most energy of the block's filters together, so ids rows are
// identical within a block. Kernels hold value v on pattern A = [1,3,4,5] or B = [4,5,7,8]:
//   filter 0: A 3, B 1    filter 1: B 1, B 2    filter 2: B 2.5, A 1    filter 3: A 1, A 1
// Block {0,1}, channel 0: A keeps 36 + 2 (filter 1's B kernel shares positions 4, 5), B keeps
// 18 + 4: A, although filter 1 alone prefers B (the KERNEL run, block=1). Block {2,3},
// channel 0: B keeps 25 + 2 > A's 12.5 + 4.
// Connectivity at rate 2 keeps 8 / 2 = 4 kernels = 2 units, those of largest L2 norm:
// (block 0, channel 0) = 38 and (block 1, channel 0) = 27; the channel-1 units (20, 8) go.

builtin.module {
  func.func @layer(%x: tensor<1x2x6x6xf32>) -> tensor<1x4x6x6xf32> {
    %w = arith.constant dense<[[[[0.0, 3.0, 0.0], [3.0, 3.0, 3.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]], [[[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]], [[0.0, 0.0, 0.0], [0.0, 2.0, 2.0], [0.0, 2.0, 2.0]]], [[[0.0, 0.0, 0.0], [0.0, 2.5, 2.5], [0.0, 2.5, 2.5]], [[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]], [[[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]], [[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]]]> : tensor<4x2x3x3xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x6x6xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
    func.return %y : tensor<1x4x6x6xf32>
  }
}

// CHECK:      pat.conv2d {{.*}} patterns = #pat.patterns<[1, 3, 4, 5], [4, 5, 7, 8]>, ids = dense<{{\[\[}}0, 1], [0, 1], [1, 0], [1, 0]]> : tensor<4x2xi8>
// KERNEL:     pat.conv2d {{.*}} patterns = #pat.patterns<[1, 3, 4, 5], [4, 5, 7, 8]>, ids = dense<{{\[\[}}0, 1], [1, 1], [1, 0], [0, 0]]> : tensor<4x2xi8>
// UNITS:      pat.conv2d {{.*}} ids = dense<{{\[\[}}0, -1], [0, -1], [1, -1], [1, -1]]> : tensor<4x2xi8>
