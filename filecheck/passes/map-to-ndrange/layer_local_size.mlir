// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1},map-to-ndrange{max-dims=1 collapse=true local-size=128}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1},map-to-ndrange{max-dims=1 collapse=true}" | filecheck %s --check-prefix=NONE
//
// Two layers in flat NDRanges: the first conv carries a tuned schedule (`pat.schedule`, what
// `patcc tune --target opencl` logs) with a work-group size `ls` of 64, the second none.
// The first layer's nests (its padding's and its conv's) take 64 instead of the pass's 128;
// the second layer's conv (its padding is the first one's stores) takes the pass's size.
// Without a `local-size` option only the tuned layer's nests carry one.

builtin.module {
  func.func @layer(%x: tensor<1x2x6x8xf32>) -> tensor<1x2x6x8xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %bias = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu", pat.schedule = {oc = 1 : i64, oh = 0 : i64, ow = 1 : i64, lre = 1 : i64, ls = 64 : i64}} : (tensor<1x2x6x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x6x8xf32>
    %z = pat.fkw_conv2d %y, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x6x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x6x8xf32>
    func.return %z : tensor<1x2x6x8xf32>
  }
}

// CHECK-NOT: ocl.local_size = 128
// CHECK:     } {nn.layer = "y: {{.*}}, ls = 64 : i64}, ocl.global_dim = 0 : i64, ocl.local_size = 64 : i64}
// CHECK-NOT: ocl.local_size = 128
// CHECK:     } {pat.loop = "filters", nn.layer = "y: {{.*}}, ocl.local_size = 64 : i64}
// CHECK-NOT: ocl.local_size = 64
// CHECK:     } {pat.loop = "filters", nn.layer = "z: {{.*}}", ocl.global_dim = 0 : i64, ocl.local_size = 128 : i64}

// NONE:     } {pat.loop = "filters", nn.layer = "y: {{.*}}, ocl.local_size = 64 : i64}
// NONE-NOT: ocl.local_size
// NONE:     } {pat.loop = "filters", nn.layer = "z: {{.*}}", ocl.global_dim = 0 : i64}
// NONE-NOT: ocl.local_size
