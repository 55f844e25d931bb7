// RUN: xdsl-opt %s --split-input-file -p "reorder-filters{group-size=3},pack-fkw" | filecheck %s --check-prefix=FKR
// RUN: xdsl-opt %s --split-input-file -p "pack-fkw" | filecheck %s --check-prefix=PLAIN
// RUN: xdsl-opt %s --split-input-file -p "reorder-filters{group-size=3},pack-fkw" | xdsl-opt --print-op-generic | xdsl-opt | filecheck %s --check-prefix=FKR
//
// The layer of reorder-filters/reorder.mlir (4 filters x 3 channels, 3 patterns; kernel
// (o, c) holds one value repeated 4 times, numbered 1..8 in row-major order of the kept
// kernels). FKR order 1, 0, 3, 2. Within a filter kernels go by pattern id, then channel:
//   reordered 0 = filter 1: ch 1 (p0, 4), ch 2 (p1, 5), ch 0 (p2, 3)  stride 0 1 2 3
//   reordered 1 = filter 0: ch 2 (p0, 2), ch 0 (p1, 1)                stride 0 1 2 2
//   reordered 2 = filter 3: ch 0 (p1, 7), ch 1 (p1, 8)                stride 0 0 2 2
//   reordered 3 = filter 2: ch 1 (p2, 6)                              stride 0 0 0 1
// offset 0 3 5 7 8. Without reorder-filters the filters keep their order (PLAIN).

builtin.module {
  func.func @layer(%x: tensor<1x3x6x6xf32>, %b: tensor<4xf32>) -> tensor<1x4x6x6xf32> {
    %v = arith.constant dense<[[[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0]], [[3.0, 3.0, 3.0, 3.0], [4.0, 4.0, 4.0, 4.0], [5.0, 5.0, 5.0, 5.0]], [[0.0, 0.0, 0.0, 0.0], [6.0, 6.0, 6.0, 6.0], [0.0, 0.0, 0.0, 0.0]], [[7.0, 7.0, 7.0, 7.0], [8.0, 8.0, 8.0, 8.0], [0.0, 0.0, 0.0, 0.0]]]> : tensor<4x3x4xf32>
    %y = pat.conv2d %x, %v, %b {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5], [4, 5, 7, 8]>, ids = dense<[[1, -1, 0], [2, 0, 1], [-1, 2, -1], [1, 1, -1]]> : tensor<4x3xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x3x6x6xf32>, tensor<4x3x4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
    func.return %y : tensor<1x4x6x6xf32>
  }
}

// FKR-NOT:    arith.constant {{.*}} : tensor<4x3x4xf32>
// FKR:        %offset = arith.constant dense<[0, 3, 5, 7, 8]> : tensor<5xi32>
// FKR-NEXT:   %reorder = arith.constant dense<[1, 0, 3, 2]> : tensor<4xi32>
// FKR-NEXT:   %index = arith.constant dense<[1, 2, 0, 2, 0, 0, 1, 1]> : tensor<8xi32>
// FKR-NEXT:   %stride = arith.constant dense<{{\[\[}}0, 1, 2, 3], [0, 1, 2, 2], [0, 0, 2, 2], [0, 0, 0, 1]]> : tensor<4x4xi32>
// FKR-NEXT:   %weight = arith.constant dense<{{\[\[}}4.000000e+00, 4.000000e+00, 4.000000e+00, 4.000000e+00], [5.000000e+00, 5.000000e+00, 5.000000e+00, 5.000000e+00], [3.000000e+00, 3.000000e+00, 3.000000e+00, 3.000000e+00], [2.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00], [1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00], [7.000000e+00, 7.000000e+00, 7.000000e+00, 7.000000e+00], [8.000000e+00, 8.000000e+00, 8.000000e+00, 8.000000e+00], [6.000000e+00, 6.000000e+00, 6.000000e+00, 6.000000e+00]]> : tensor<8x4xf32>
// FKR-NEXT:   %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %b {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu", filter_groups = array<i64: 0, 3>} : (tensor<1x3x6x6xf32>, tensor<5xi32>, tensor<4xi32>, tensor<8xi32>, tensor<4x4xi32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
// FKR-NEXT:   func.return %y

// PLAIN:      %offset = arith.constant dense<[0, 2, 5, 6, 8]> : tensor<5xi32>
// PLAIN-NEXT: %reorder = arith.constant dense<[0, 1, 2, 3]> : tensor<4xi32>
// PLAIN-NEXT: %index = arith.constant dense<[2, 0, 1, 2, 0, 1, 0, 1]> : tensor<8xi32>
// PLAIN-NEXT: %stride = arith.constant dense<{{\[\[}}0, 1, 2, 2], [0, 1, 2, 3], [0, 0, 0, 1], [0, 0, 2, 2]]> : tensor<4x4xi32>
// PLAIN-NEXT: %weight = arith.constant dense<{{\[\[}}2.000000e+00, {{.*}}], [1.000000e+00, {{.*}}], [4.000000e+00, {{.*}}], [5.000000e+00, {{.*}}], [3.000000e+00, {{.*}}], [6.000000e+00, {{.*}}], [7.000000e+00, {{.*}}], [8.000000e+00, {{.*}}]]> : tensor<8x4xf32>
// PLAIN-NEXT: %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %b {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x3x6x6xf32>, tensor<5xi32>, tensor<4xi32>, tensor<8xi32>, tensor<4x4xi32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>

// -----

// Values that are not constants cannot be packed: the conv stays a pat.conv2d. A conv whose
// kernels are all removed packs to empty index/weight arrays.
builtin.module {
  func.func @mixed(%x: tensor<1x2x4x4xf32>, %v: tensor<2x2x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
    %y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4]>, ids = dense<0> : tensor<2x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x4xf32>) -> tensor<1x2x4x4xf32>
    %z0 = arith.constant dense<0.0> : tensor<2x2x4xf32>
    %z = pat.conv2d %x, %z0 {patterns = #pat.patterns<[0, 1, 3, 4]>, ids = dense<-1> : tensor<2x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x4xf32>) -> tensor<1x2x4x4xf32>
    func.return %y, %z : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
  }
}

// PLAIN:      %y = pat.conv2d %x, %v {
// PLAIN:      %offset = arith.constant dense<0> : tensor<3xi32>
// PLAIN-NEXT: %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
// PLAIN-NEXT: %index = arith.constant dense<> : tensor<0xi32>
// PLAIN-NEXT: %stride = arith.constant dense<0> : tensor<2x2xi32>
// PLAIN-NEXT: %weight = arith.constant dense<> : tensor<0x4xf32>
// PLAIN-NEXT: %z = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {
