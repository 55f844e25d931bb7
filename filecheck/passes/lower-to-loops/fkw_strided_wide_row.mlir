// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},tile-conv{oc=1 oh=0 ow=2}" | filecheck %s
//
// A stride-2 FKW layer with 4-wide output rows at 8 lanes: one wide row over the input's
// phase planes (patcc/lowering/wide_rows.py, phases.py). The 10x10 padded image splits into
// 4 planes of 5x5, plane (r, t)[i * 5 + j] = padded[2i + r, 2j + t], copied straight from
// %x (no padded copy: the planes are zero-filled first, so their borders are the pad).
// Output q = oh * 5 + ow reads tap (kh, kw) in plane (kh % 2, kw % 2) at q + (kh / 2) * 5 +
// kw / 2: a wide row of 3 * 5 + 4 = 19 outputs, 3 vectors of 8 (the last overlapping), all
// one tile of tile-conv (the auto rows of a wide row lie along it); a crop keeps the 4 valid
// columns of each row.

builtin.module {
  func.func @layer(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x4x4xf32>
    func.return %y : tensor<1x2x4x4xf32>
  }
}

// CHECK:       %phases = memref.alloc() : memref<1x2x4x25xf32>
// CHECK:       memref.store {{%[0-9]+}}, {{%[0-9]+}}[%i] : memref<200xf32>
// CHECK-COUNT-4: memref.load %x[{{.*}}] : memref<1x2x8x8xf32>
// CHECK-NOT:   %padded
// CHECK:       %wide = memref.alloc() : memref<1x2x1x19xf32>
// CHECK:       scf.for %ow0 =
// CHECK:         [[Q:%[0-9]+]] = arith.minsi {{%[0-9]+}}, {{%[0-9]+}} : index
// CHECK:         [[Q1:%[0-9]+]] = arith.addi [[Q]], {{%[0-9]+}} : index
// CHECK:         [[Q5:%[0-9]+]] = arith.addi [[Q]], {{%[0-9]+}} : index
// CHECK:         [[Q6:%[0-9]+]] = arith.addi [[Q]], {{%[0-9]+}} : index
// Pattern [0, 1, 3, 4]: taps (0, 0) (0, 1) (1, 0) (1, 1), one per plane, shift 0.
// CHECK:         scf.for %k =
// CHECK:           vector.load %phases[{{%[0-9]+}}, [[C:%[0-9]+]], {{%[0-9]+}}, [[Q]]] : memref<1x2x4x25xf32>, vector<8xf32>
// CHECK-COUNT-3:   vector.load %phases[{{%[0-9]+}}, [[C]], {{%[0-9]+}}, [[Q]]]
// CHECK:         } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}
// Pattern [4, 5, 7, 8]: taps (1, 1) (1, 2) (2, 1) (2, 2) at shifts 0, 1, 5, 6.
// CHECK:         scf.for %k_1 =
// CHECK:           vector.load %phases[{{%[0-9]+}}, [[C1:%[0-9]+]], {{%[0-9]+}}, [[Q]]]
// CHECK:           vector.load %phases[{{%[0-9]+}}, [[C1]], {{%[0-9]+}}, [[Q1]]]
// CHECK:           vector.load %phases[{{%[0-9]+}}, [[C1]], {{%[0-9]+}}, [[Q5]]]
// CHECK:           vector.load %phases[{{%[0-9]+}}, [[C1]], {{%[0-9]+}}, [[Q6]]]
// CHECK:         } {pat.conv = "conv0", pat.pattern = array<i64: 4, 5, 7, 8>}
// CHECK:         vector.store {{%[0-9]+}}, %wide[{{.*}}, [[Q]]] : memref<1x2x1x19xf32>, vector<8xf32>
// CHECK:       } {pat.loop = "cols", pat.tile = 3 : i64}
// CHECK:       [[V:%[0-9]+]] = memref.load %wide[{{.*}}] : memref<1x2x1x19xf32>
// CHECK-NEXT:  memref.store [[V]], %y[{{.*}}] : memref<1x2x4x4xf32>
