// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1}" | filecheck %s --check-prefix=SCALAR
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=16}" | filecheck %s --check-prefix=NARROW
//
// A hand-sized FKW layer: 2 filters x 2 channels, patterns [0, 1, 3, 4] (p0, taps
// (dy, dx) = (-1,-1) (-1,0) (0,-1) (0,0)) and [4, 5, 7, 8] (p1, taps (0,0) (0,1) (1,0) (1,1)).
// Filter 0: channel 0 with p0, channel 1 with p1; filter 1: channel 1 with p0.
// Output width 8 = 2 vectors of 4: no scalar remainder at V = 4.
//
// Per filter j: o = reorder[j], the run bounds offset[j] + stride[j, p] loaded once; per
// output vector: the accumulator starts at bias[o], one scf.for over the kernels of each
// pattern (bounds from stride/offset, accumulator in iter_args) whose body is 4 vector
// loads at constant tap offsets + 4 broadcast weights + 4 FMAs; relu; one vector store.

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

// CHECK-NOT:   pat.fkw_conv2d
// CHECK:       func.func @layer(%x: memref<1x2x6x8xf32>, %y: memref<1x2x6x8xf32> {nn.output}) {
// CHECK:       %padded = memref.alloc() : memref<1x2x8x10xf32>
// CHECK:       scf.for %j = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NEXT:    [[R:%[0-9]+]] = memref.load %reorder[%j] : memref<2xi32>
// CHECK-NEXT:    [[O:%[0-9]+]] = arith.index_cast [[R]] : i32 to index
// CHECK-NEXT:    [[OFF:%[0-9]+]] = memref.load %offset[%j] : memref<3xi32>
// CHECK-NEXT:    [[BASE:%[0-9]+]] = arith.index_cast [[OFF]] : i32 to index
// CHECK-NEXT:    [[S0:%[0-9]+]] = memref.load %stride[%j, {{%[0-9]+}}] : memref<2x3xi32>
// CHECK-NEXT:    [[S0I:%[0-9]+]] = arith.index_cast [[S0]] : i32 to index
// CHECK-NEXT:    [[LB0:%[0-9]+]] = arith.addi [[BASE]], [[S0I]] : index
// CHECK-NEXT:    [[S1:%[0-9]+]] = memref.load %stride[%j, {{%[0-9]+}}] : memref<2x3xi32>
// CHECK-NEXT:    [[S1I:%[0-9]+]] = arith.index_cast [[S1]] : i32 to index
// CHECK-NEXT:    [[LB1:%[0-9]+]] = arith.addi [[BASE]], [[S1I]] : index
// CHECK-NEXT:    [[S2:%[0-9]+]] = memref.load %stride[%j, {{%[0-9]+}}] : memref<2x3xi32>
// CHECK-NEXT:    [[S2I:%[0-9]+]] = arith.index_cast [[S2]] : i32 to index
// CHECK-NEXT:    [[LB2:%[0-9]+]] = arith.addi [[BASE]], [[S2I]] : index
// CHECK-NEXT:    [[B:%[0-9]+]] = memref.load %bias{{\[}}[[O]]] : memref<2xf32>
// CHECK-NEXT:    [[BV:%[0-9]+]] = vector.broadcast [[B]] : f32 to vector<4xf32>
// CHECK-NEXT:    scf.for %oh = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NEXT:      [[Y1:%[0-9]+]] = arith.addi %oh, {{%[0-9]+}} : index
// CHECK-NEXT:      [[Y2:%[0-9]+]] = arith.addi %oh, {{%[0-9]+}} : index
// CHECK-NEXT:      scf.for %ow = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NEXT:        [[X1:%[0-9]+]] = arith.addi %ow, {{%[0-9]+}} : index
// CHECK-NEXT:        [[X2:%[0-9]+]] = arith.addi %ow, {{%[0-9]+}} : index

// Pattern 0: padded rows oh+0, oh+1, columns ow+0, ow+1.
// CHECK-NEXT:        [[A0:%[0-9]+]] = scf.for [[K0:%k]] = [[LB0]] to [[LB1]] step {{%[0-9]+}} iter_args([[ACC0:%[0-9]+]] = [[BV]]) -> (vector<4xf32>) {
// CHECK-NEXT:          [[CI0:%[0-9]+]] = memref.load %index{{\[}}[[K0]]] : memref<3xi32>
// CHECK-NEXT:          [[C0:%[0-9]+]] = arith.index_cast [[CI0]] : i32 to index
// CHECK-NEXT:          [[W00:%[0-9]+]] = memref.load %weight{{\[}}[[K0]], {{%[0-9]+}}] : memref<3x4xf32>
// CHECK-NEXT:          [[V00:%[0-9]+]] = vector.load %padded[{{%[0-9]+}}, [[C0]], %oh, %ow] : memref<1x2x8x10xf32>, vector<4xf32>
// CHECK-NEXT:          [[B00:%[0-9]+]] = vector.broadcast [[W00]] : f32 to vector<4xf32>
// CHECK-NEXT:          [[F00:%[0-9]+]] = vector.fma [[V00]], [[B00]], [[ACC0]] : vector<4xf32>
// CHECK-NEXT:          [[W01:%[0-9]+]] = memref.load %weight{{\[}}[[K0]], {{%[0-9]+}}] : memref<3x4xf32>
// CHECK-NEXT:          [[V01:%[0-9]+]] = vector.load %padded[{{%[0-9]+}}, [[C0]], %oh, [[X1]]] : memref<1x2x8x10xf32>, vector<4xf32>
// CHECK-NEXT:          [[B01:%[0-9]+]] = vector.broadcast [[W01]] : f32 to vector<4xf32>
// CHECK-NEXT:          [[F01:%[0-9]+]] = vector.fma [[V01]], [[B01]], [[F00]] : vector<4xf32>
// CHECK-NEXT:          [[W02:%[0-9]+]] = memref.load %weight{{\[}}[[K0]], {{%[0-9]+}}] : memref<3x4xf32>
// CHECK-NEXT:          [[V02:%[0-9]+]] = vector.load %padded[{{%[0-9]+}}, [[C0]], [[Y1]], %ow] : memref<1x2x8x10xf32>, vector<4xf32>
// CHECK-NEXT:          [[B02:%[0-9]+]] = vector.broadcast [[W02]] : f32 to vector<4xf32>
// CHECK-NEXT:          [[F02:%[0-9]+]] = vector.fma [[V02]], [[B02]], [[F01]] : vector<4xf32>
// CHECK-NEXT:          [[W03:%[0-9]+]] = memref.load %weight{{\[}}[[K0]], {{%[0-9]+}}] : memref<3x4xf32>
// CHECK-NEXT:          [[V03:%[0-9]+]] = vector.load %padded[{{%[0-9]+}}, [[C0]], [[Y1]], [[X1]]] : memref<1x2x8x10xf32>, vector<4xf32>
// CHECK-NEXT:          [[B03:%[0-9]+]] = vector.broadcast [[W03]] : f32 to vector<4xf32>
// CHECK-NEXT:          [[F03:%[0-9]+]] = vector.fma [[V03]], [[B03]], [[F02]] : vector<4xf32>
// CHECK-NEXT:          scf.yield [[F03]] : vector<4xf32>
// CHECK-NEXT:        } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}

// Pattern 1: rows oh+1, oh+2, columns ow+1, ow+2; continues pattern 0's accumulator.
// CHECK-NEXT:        [[A1:%[0-9]+]] = scf.for [[K1:%k_[0-9]+]] = [[LB1]] to [[LB2]] step {{%[0-9]+}} iter_args([[ACC1:%[0-9]+]] = [[A0]]) -> (vector<4xf32>) {
// CHECK-NEXT:          [[CI1:%[0-9]+]] = memref.load %index{{\[}}[[K1]]] : memref<3xi32>
// CHECK-NEXT:          [[C1:%[0-9]+]] = arith.index_cast [[CI1]] : i32 to index
// CHECK-NEXT:          [[W10:%[0-9]+]] = memref.load %weight{{\[}}[[K1]], {{%[0-9]+}}] : memref<3x4xf32>
// CHECK-NEXT:          [[V10:%[0-9]+]] = vector.load %padded[{{%[0-9]+}}, [[C1]], [[Y1]], [[X1]]] : memref<1x2x8x10xf32>, vector<4xf32>
// CHECK-NEXT:          [[B10:%[0-9]+]] = vector.broadcast [[W10]] : f32 to vector<4xf32>
// CHECK-NEXT:          [[F10:%[0-9]+]] = vector.fma [[V10]], [[B10]], [[ACC1]] : vector<4xf32>
// CHECK-NEXT:          [[W11:%[0-9]+]] = memref.load %weight{{\[}}[[K1]], {{%[0-9]+}}] : memref<3x4xf32>
// CHECK-NEXT:          [[V11:%[0-9]+]] = vector.load %padded[{{%[0-9]+}}, [[C1]], [[Y1]], [[X2]]] : memref<1x2x8x10xf32>, vector<4xf32>
// CHECK-NEXT:          [[B11:%[0-9]+]] = vector.broadcast [[W11]] : f32 to vector<4xf32>
// CHECK-NEXT:          [[F11:%[0-9]+]] = vector.fma [[V11]], [[B11]], [[F10]] : vector<4xf32>
// CHECK-NEXT:          [[W12:%[0-9]+]] = memref.load %weight{{\[}}[[K1]], {{%[0-9]+}}] : memref<3x4xf32>
// CHECK-NEXT:          [[V12:%[0-9]+]] = vector.load %padded[{{%[0-9]+}}, [[C1]], [[Y2]], [[X1]]] : memref<1x2x8x10xf32>, vector<4xf32>
// CHECK-NEXT:          [[B12:%[0-9]+]] = vector.broadcast [[W12]] : f32 to vector<4xf32>
// CHECK-NEXT:          [[F12:%[0-9]+]] = vector.fma [[V12]], [[B12]], [[F11]] : vector<4xf32>
// CHECK-NEXT:          [[W13:%[0-9]+]] = memref.load %weight{{\[}}[[K1]], {{%[0-9]+}}] : memref<3x4xf32>
// CHECK-NEXT:          [[V13:%[0-9]+]] = vector.load %padded[{{%[0-9]+}}, [[C1]], [[Y2]], [[X2]]] : memref<1x2x8x10xf32>, vector<4xf32>
// CHECK-NEXT:          [[B13:%[0-9]+]] = vector.broadcast [[W13]] : f32 to vector<4xf32>
// CHECK-NEXT:          [[F13:%[0-9]+]] = vector.fma [[V13]], [[B13]], [[F12]] : vector<4xf32>
// CHECK-NEXT:          scf.yield [[F13]] : vector<4xf32>
// CHECK-NEXT:        } {pat.conv = "conv0", pat.pattern = array<i64: 4, 5, 7, 8>}

// The fused relu, then the store to the original output channel o = reorder[j].
// CHECK-NEXT:        [[ACT:%[0-9]+]] = arith.maximumf [[A1]], {{%[0-9]+}} : vector<4xf32>
// CHECK-NEXT:        vector.store [[ACT]], %y[{{%[0-9]+}}, [[O]], %oh, %ow] : memref<1x2x6x8xf32>, vector<4xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:  }
// CHECK-NEXT:  func.return

// V = 1: the same loops on scalars; each FMA is a mulf + addf.
// SCALAR:      scf.for %ow = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// SCALAR:        scf.for %k = {{.*}} iter_args({{%[0-9]+}} = {{%[0-9]+}}) -> (f32) {
// SCALAR-COUNT-4:  memref.load %padded
// SCALAR:          scf.yield {{%[0-9]+}} : f32
// SCALAR-NEXT:   } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}
// SCALAR:        scf.for %k_1 = {{.*}} -> (f32) {
// SCALAR:        } {pat.conv = "conv0", pat.pattern = array<i64: 4, 5, 7, 8>}
// SCALAR-NEXT:   arith.maximumf {{%[0-9]+}}, {{%[0-9]+}} : f32
// SCALAR-NEXT:   memref.store
// SCALAR-NOT:    vector.

// At 16 lanes the 8-wide rows run as one wide row of 5 * 10 + 8 = 58 outputs over the
// flattened padded image (patcc/lowering/wide_rows.py): tap (kh, kw) of output q reads
// q + kh * 10 + kw, in full 16-lane vectors (the last overlapping); a crop then copies the
// 8 valid columns of each row into y.
// NARROW-NOT:  vector<8xf32>
// NARROW:      %padded = memref.alloc() : memref<1x2x8x10xf32>
// NARROW:      [[FLAT:%[0-9]+]] = memref.expand_shape {{.*}} into memref<1x2x1x80xf32>
// NARROW:      %wide = memref.alloc() : memref<1x2x1x58xf32>
// NARROW:      vector.load [[FLAT]]{{.*}} : memref<1x2x1x80xf32>, vector<16xf32>
// NARROW:      vector.fma {{.*}} : vector<16xf32>
// NARROW:      vector.store {{.*}} %wide{{.*}} : memref<1x2x1x58xf32>, vector<16xf32>
// NARROW:      [[V:%[0-9]+]] = memref.load %wide[{{.*}}] : memref<1x2x1x58xf32>
// NARROW-NEXT: memref.store [[V]], %y[{{.*}}] : memref<1x2x6x8xf32>
// NARROW-NOT:  vector<8xf32>
