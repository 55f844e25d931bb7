// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8}" | xdsl-opt | filecheck %s

// A 3x3 conv (pad 1, bias) + relu on a 1x2x4x10 input. The output width 10 is covered by
// two vectors of 8 at 0 and 2 (the last overlaps, so there is no scalar remainder): one
// register tile of 2 accumulators per filter (3 filters: fewer than a filter tile of 4),
// each loaded weight broadcast once for both; the bias is the accumulators' initial value
// and the relu is fused into the stores. Batch 1 and group 1 emit no
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
// CHECK-DAG:    %[[C2:.*]] = arith.constant 2 : index
// CHECK:        %w = memref.get_global @w : memref<3x2x3x3xf32>
// CHECK-NEXT:   %b = memref.get_global @b : memref<3xf32>
// CHECK-NEXT:   %[[VZERO:.*]] = vector.broadcast %[[ZERO]] : f32 to vector<8xf32>
// CHECK-NEXT:   %padded = memref.alloc() : memref<1x2x6x12xf32>
// CHECK:        scf.for %o = {{.*}} {
// CHECK-NEXT:     scf.for %oh = {{.*}} {
// CHECK-NEXT:       %[[BIAS:.*]] = memref.load %b[%o] : memref<3xf32>
// CHECK-NEXT:       %[[INIT:.*]] = vector.broadcast %[[BIAS]] : f32 to vector<8xf32>
// CHECK-NEXT:       %[[ACC:.*]], %[[ACC2:.*]] = scf.for %[[C:c[_0-9]*]] = {{.*}} iter_args(%{{.*}} = %[[INIT]], %{{.*}} = %[[INIT]]) -> (vector<8xf32>, vector<8xf32>) {
// CHECK-NEXT:         scf.for %[[KH:kh[_0-9]*]] = {{.*}} -> (vector<8xf32>, vector<8xf32>) {
// CHECK:                scf.for %[[KW:kw[_0-9]*]] = {{.*}} iter_args(%[[A:.*]] = %{{.*}}, %[[B:.*]] = %{{.*}}) -> (vector<8xf32>, vector<8xf32>) {
// CHECK-NEXT:             %[[XV:.*]] = vector.load %padded[%[[C0]], %[[C]], %{{.*}}, %[[KW]]] : memref<1x2x6x12xf32>, vector<8xf32>
// CHECK-NEXT:             %[[KW2:.*]] = arith.addi %[[KW]], %[[C2]] : index
// CHECK-NEXT:             %[[XV2:.*]] = vector.load %padded[%[[C0]], %[[C]], %{{.*}}, %[[KW2]]] : memref<1x2x6x12xf32>, vector<8xf32>
// CHECK-NEXT:             %[[WT:.*]] = memref.load %w[%o, %[[C]], %[[KH]], %[[KW]]] : memref<3x2x3x3xf32>
// CHECK-NEXT:             %[[WV:.*]] = vector.broadcast %[[WT]] : f32 to vector<8xf32>
// CHECK-NEXT:             %[[FMA:.*]] = vector.fma %[[XV]], %[[WV]], %[[A]] : vector<8xf32>
// CHECK-NEXT:             %[[FMA2:.*]] = vector.fma %[[XV2]], %[[WV]], %[[B]] : vector<8xf32>
// CHECK-NEXT:             scf.yield %[[FMA]], %[[FMA2]] : vector<8xf32>, vector<8xf32>
// CHECK:            %[[RELU:.*]] = arith.maximumf %[[ACC]], %[[VZERO]] : vector<8xf32>
// CHECK-NEXT:       vector.store %[[RELU]], %r[%[[C0]], %o, %oh, %[[C0]]] : memref<1x3x4x10xf32>, vector<8xf32>
// CHECK-NEXT:       %[[RELU2:.*]] = arith.maximumf %[[ACC2]], %[[VZERO]] : vector<8xf32>
// CHECK-NEXT:       vector.store %[[RELU2]], %r[%[[C0]], %o, %oh, %[[C2]]] : memref<1x3x4x10xf32>, vector<8xf32>
// CHECK-NEXT:     }
// CHECK-NOT:    memref.store %{{.*}}, %r
// CHECK:        func.return
// CHECK-NOT:  nn.
