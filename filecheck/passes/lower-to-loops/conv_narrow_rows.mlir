// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | xdsl-opt | filecheck %s

// A 3x3 conv (pad 1) + relu on a 3x3 image, vectors of 4: a row of 3 outputs is narrower
// than a vector, so the conv runs over the flattened padded image (pitch 5): output q =
// oh*5 + ow reads tap (kh, kw) at q + kh*5 + kw, a constant shift, so the 13 "wide" outputs
// (3 rows of 5, the last cut to 3) fill vectors (starts 0, 4, 8 and 9, overlapping). The
// relu is applied to the wide rows; a crop then copies the 3 valid columns of each row.

builtin.module {
  func.func @layer(%x: tensor<1x1x3x3xf32> {nn.name = "input"}) -> (tensor<1x2x3x3xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<2x1x3x3xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x3x3xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x3x3xf32>
    %r = nn.relu %y : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
    func.return %r : tensor<1x2x3x3xf32>
  }
}

// CHECK:      func.func @layer(%x: memref<1x1x3x3xf32> {nn.name = "input"}, %r: memref<1x2x3x3xf32> {nn.name = "output", nn.output}) {
// CHECK-DAG:    %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:    %[[C5:.*]] = arith.constant 5 : index
// CHECK:        %padded = memref.alloc() : memref<1x1x5x5xf32>
// CHECK:        %[[FLAT:.*]] = memref.expand_shape {{.*}} : memref<25xf32> into memref<1x1x1x25xf32>
// CHECK-NEXT:   %wide = memref.alloc() : memref<1x2x1x13xf32>
// CHECK:        scf.for %[[KH:kh[_0-9]*]] = {{.*}} {
// CHECK-NEXT:     scf.for %[[KW:kw[_0-9]*]] = {{.*}} {
// CHECK-NEXT:       %[[ROW:.*]] = arith.muli %[[KH]], %[[C5]] : index
// CHECK-NEXT:       %[[COL:.*]] = arith.addi %[[KW]], %[[ROW]] : index
// CHECK-NEXT:       %[[XV:.*]] = vector.load %[[FLAT]][%[[C0]], %[[C0]], %[[C0]], %[[COL]]] : memref<1x1x1x25xf32>, vector<4xf32>
// CHECK:            vector.fma %[[XV]],
// CHECK:          arith.maximumf
// CHECK-NEXT:     vector.store %{{.*}}, %wide[%[[C0]], %{{.*}}, %[[C0]], %[[C0]]] : memref<1x2x1x13xf32>, vector<4xf32>
// CHECK:        scf.for %[[O:o[_0-9]*]] = {{.*}} {
// CHECK-NEXT:     scf.for %[[OH:oh[_0-9]*]] = {{.*}} {
// CHECK-NEXT:       scf.for %[[OW:ow[_0-9]*]] = {{.*}} {
// CHECK-NEXT:         %[[Q0:.*]] = arith.muli %[[OH]], %[[C5]] : index
// CHECK-NEXT:         %[[Q:.*]] = arith.addi %[[Q0]], %[[OW]] : index
// CHECK-NEXT:         %[[V:.*]] = memref.load %wide[%[[C0]], %[[O]], %[[C0]], %[[Q]]] : memref<1x2x1x13xf32>
// CHECK-NEXT:         memref.store %[[V]], %r[%[[C0]], %[[O]], %[[OH]], %[[OW]]] : memref<1x2x3x3xf32>
// CHECK-NOT:    arith.mulf
// CHECK:        func.return
// CHECK-NOT:  nn.
