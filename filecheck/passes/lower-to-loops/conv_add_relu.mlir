// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | xdsl-opt | filecheck %s

// A ResNet shortcut sum: relu(%skip + conv1x1(%x)) on 1x2x2x4 images, 2 filters. The add
// (its conv operand used only there) and the relu are fused into the conv's stores: the
// 1x1 conv is a GEMM over the flattened image (8 pixels, 2 vectors of 4), so it stores into
// a 1x2x8 view of the output; each store first loads %skip through the same view at the
// same indices, adds (in the add's operand order: skip first) and applies the relu. No
// buffer and no loop nest are left for the add or the relu.

builtin.module {
  func.func @block(%x: tensor<1x2x2x4xf32> {nn.name = "input"}, %skip: tensor<1x2x2x4xf32> {nn.name = "skip"}) -> (tensor<1x2x2x4xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<2x2x1x1xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x2x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x4xf32>
    %s = nn.add %skip, %y : (tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
    %r = nn.relu %s : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
    func.return %r : tensor<1x2x2x4xf32>
  }
}

// CHECK:      func.func @block(%x: memref<1x2x2x4xf32> {nn.name = "input"}, %skip: memref<1x2x2x4xf32> {nn.name = "skip"}, %r: memref<1x2x2x4xf32> {nn.name = "output", nn.output}) {
// CHECK:        %[[VZERO:.*]] = vector.broadcast %{{.*}} : f32 to vector<4xf32>
// CHECK-NEXT:   %[[SF:.*]] = memref.collapse_shape %skip {{.*}} : memref<1x2x2x4xf32> into memref<16xf32>
// CHECK-NEXT:   %[[SV:.*]] = memref.expand_shape %[[SF]] {{.*}} : memref<16xf32> into memref<1x2x8xf32>
// CHECK:        %[[RF:.*]] = memref.collapse_shape %r {{.*}} : memref<1x2x2x4xf32> into memref<16xf32>
// CHECK-NEXT:   %[[RV:.*]] = memref.expand_shape %[[RF]] {{.*}} : memref<16xf32> into memref<1x2x8xf32>
// CHECK:        scf.for %o = %[[C0:.*]] to {{.*}} {
// CHECK:          %[[ACC:.*]], %[[ACC2:.*]] = scf.for %{{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>) {
// CHECK:            vector.fma
// CHECK:          }
// CHECK-NEXT:     %[[S:.*]] = vector.load %[[SV]][%[[C0]], %o, %[[C0]]] : memref<1x2x8xf32>, vector<4xf32>
// CHECK-NEXT:     %[[SUM:.*]] = arith.addf %[[S]], %[[ACC]] : vector<4xf32>
// CHECK-NEXT:     %[[RELU:.*]] = arith.maximumf %[[SUM]], %[[VZERO]] : vector<4xf32>
// CHECK-NEXT:     vector.store %[[RELU]], %[[RV]][%[[C0]], %o, %[[C0]]] : memref<1x2x8xf32>, vector<4xf32>
// CHECK-NEXT:     %[[S2:.*]] = vector.load %[[SV]][%[[C0]], %o, %[[C4:.*]]] : memref<1x2x8xf32>, vector<4xf32>
// CHECK-NEXT:     %[[SUM2:.*]] = arith.addf %[[S2]], %[[ACC2]] : vector<4xf32>
// CHECK-NEXT:     %[[RELU2:.*]] = arith.maximumf %[[SUM2]], %[[VZERO]] : vector<4xf32>
// CHECK-NEXT:     vector.store %[[RELU2]], %[[RV]][%[[C0]], %o, %[[C4]]] : memref<1x2x8xf32>, vector<4xf32>
// CHECK-NEXT:   } {nn.layer = "y: nn conv2d 1x2x2x4 -> 1x2x2x4 + add + relu"}
// CHECK-NEXT:   func.return
// CHECK-NOT:  nn.
// CHECK-NOT:  linalg.
