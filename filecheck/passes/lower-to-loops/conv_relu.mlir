// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8}" | xdsl-opt | filecheck %s

// A 3x3 conv (pad 1, bias) + relu on a 1x2x4x10 input. The output width 10 is one vector
// of 8 (vector.load / broadcast / fma, the accumulator in iter_args) and a scalar
// remainder of 2; the bias is the accumulator's initial value and the relu is fused into
// the store (arith.maximumf on the vector, then on the scalar). Batch 1 and group 1 emit no
// loop. The input is copied once into a zero-bordered buffer, so the window loops never
// branch. The result is written straight into the out-parameter.

builtin.module {
  func.func @layer(%x: tensor<1x2x4x10xf32> {nn.name = "input"}) -> (tensor<1x3x4x10xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<3x2x3x3xf32>
    %b = arith.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
    %y = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x10xf32>, tensor<3x2x3x3xf32>, tensor<3xf32>) -> tensor<1x3x4x10xf32>
    %r = nn.relu %y : (tensor<1x3x4x10xf32>) -> tensor<1x3x4x10xf32>
    func.return %r : tensor<1x3x4x10xf32>
  }
}

// CHECK:      "memref.global"() <{sym_name = "w", type = memref<3x2x3x3xf32>, initial_value = dense<5.000000e-01> : tensor<3x2x3x3xf32>, sym_visibility = "private", constant}>
// CHECK-NEXT: "memref.global"() <{sym_name = "b", type = memref<3xf32>, initial_value = dense<[1.000000e-01, -2.000000e-01, 3.000000e-01]> : tensor<3xf32>, sym_visibility = "private", constant}>
// CHECK:      func.func @layer(%x: memref<1x2x4x10xf32> {nn.name = "input"}, %r: memref<1x3x4x10xf32> {nn.name = "output", nn.output}) {
// CHECK-DAG:    %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:    %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:    %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:    %[[C10:.*]] = arith.constant 10 : index
// CHECK:        %w = memref.get_global @w : memref<3x2x3x3xf32>
// CHECK-NEXT:   %b = memref.get_global @b : memref<3xf32>
// CHECK-NEXT:   %[[VZERO:.*]] = vector.broadcast %[[ZERO]] : f32 to vector<8xf32>
// CHECK-NEXT:   %padded = memref.alloc() : memref<1x2x6x12xf32>
// CHECK:        scf.for %o = {{.*}} {
// CHECK-NEXT:     scf.for %oh = {{.*}} {
// CHECK-NEXT:       %[[BIAS:.*]] = memref.load %b[%o] : memref<3xf32>
// CHECK-NEXT:       %[[INIT:.*]] = vector.broadcast %[[BIAS]] : f32 to vector<8xf32>
// CHECK-NEXT:       %[[ACC:.*]] = scf.for %[[C:c[_0-9]*]] = {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<8xf32>) {
// CHECK-NEXT:         scf.for %[[KH:kh[_0-9]*]] = {{.*}} -> (vector<8xf32>) {
// CHECK:                scf.for %[[KW:kw[_0-9]*]] = {{.*}} -> (vector<8xf32>) {
// CHECK-NEXT:             %[[WT:.*]] = memref.load %w[%o, %[[C]], %[[KH]], %[[KW]]] : memref<3x2x3x3xf32>
// CHECK-NEXT:             %[[XV:.*]] = vector.load %padded[%[[C0]], %[[C]], %{{.*}}, %[[KW]]] : memref<1x2x6x12xf32>, vector<8xf32>
// CHECK-NEXT:             %[[WV:.*]] = vector.broadcast %[[WT]] : f32 to vector<8xf32>
// CHECK-NEXT:             %[[FMA:.*]] = vector.fma %[[XV]], %[[WV]], %{{.*}} : vector<8xf32>
// CHECK-NEXT:             scf.yield %[[FMA]] : vector<8xf32>
// CHECK:            %[[RELU:.*]] = arith.maximumf %[[ACC]], %[[VZERO]] : vector<8xf32>
// CHECK-NEXT:       vector.store %[[RELU]], %r[%[[C0]], %o, %oh, %[[C0]]] : memref<1x3x4x10xf32>, vector<8xf32>
// CHECK-NEXT:       scf.for %ow = %[[C8]] to %[[C10]] step %{{.*}} {
// CHECK-NEXT:         %[[SACC:.*]] = scf.for %{{c[_0-9]*}} = {{.*}} iter_args(%{{.*}} = %[[BIAS]]) -> (f32) {
// CHECK:                  arith.mulf
// CHECK-NEXT:             arith.addf
// CHECK:              %[[SRELU:.*]] = arith.maximumf %[[SACC]], %[[ZERO]] : f32
// CHECK-NEXT:         memref.store %[[SRELU]], %r[%[[C0]], %o, %oh, %ow] : memref<1x3x4x10xf32>
// CHECK:        func.return
// CHECK-NOT:  nn.
