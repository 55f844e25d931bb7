// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},map-to-ndrange" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},map-to-ndrange{max-dims=1}" | filecheck %s --check-prefix=ONE
//
// The hand-sized FKW layer of passes/eliminate-load-redundancy/fkw_conv.mlir at loop level:
// each top-level nest's parallel, perfectly nested outer loops become the NDRange, innermost
// in dimension 0 (the border fill is 1-D, the padding copy and the conv's filters x rows x
// columns 3-D); the pattern kernel loops (carrying the accumulator) stay loops. With one
// dimension, the band loop with the most iterations is chosen (8 columns of the padding
// copy, 6 rows of the conv), the others run inside the work item.

builtin.module {
  func.func @layer(%x: tensor<1x2x6x8xf32>) -> tensor<1x2x6x8xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %bias = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x6x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x6x8xf32>
    func.return %y : tensor<1x2x6x8xf32>
  }
}

// CHECK:      scf.for %i =
// CHECK:      } {nn.layer = {{.*}}, ocl.global_dim = 0 : i64}
// CHECK:      scf.for %c =
// CHECK-NEXT:   scf.for %y_1 =
// CHECK-NEXT:     scf.for %x_1 =
// CHECK:          } {ocl.global_dim = 0 : i64}
// CHECK-NEXT:   } {ocl.global_dim = 1 : i64}
// CHECK-NEXT: } {nn.layer = {{.*}}, ocl.global_dim = 2 : i64}
// CHECK:      scf.for %j =
// CHECK-NOT:  ocl.global_dim
// CHECK:      } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}
// CHECK-NOT:  ocl.global_dim
// CHECK:      } {pat.conv = "conv0", pat.pattern = array<i64: 4, 5, 7, 8>}
// CHECK:      } {pat.loop = "cols", ocl.global_dim = 0 : i64}
// CHECK-NEXT: } {pat.loop = "rows", ocl.global_dim = 1 : i64}
// CHECK-NEXT: } {pat.loop = "filters", nn.layer = {{.*}}, ocl.global_dim = 2 : i64}

// ONE-NOT:  ocl.global_dim = 1
// ONE:      scf.for %x_1 =
// ONE:          } {ocl.global_dim = 0 : i64}
// ONE-NEXT:   }
// ONE-NEXT: } {nn.layer = "y: pat fkw_conv2d 1x2x6x8 -> 1x2x6x8, 2 patterns"}
// ONE:      } {pat.loop = "cols"}
// ONE-NEXT: } {pat.loop = "rows", ocl.global_dim = 0 : i64}
// ONE-NEXT: } {pat.loop = "filters", nn.layer = {{.*}}}
