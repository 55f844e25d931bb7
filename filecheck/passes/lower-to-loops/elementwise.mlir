// RUN: xdsl-opt %s -p lower-to-loops | filecheck %s

// nn.add with numpy broadcasting (a per-channel 3x1x1 operand) becomes a linalg.generic
// whose broadcast operand has the indexing map (d0, d1, d2, d3) -> (d1, 0, 0); xDSL's
// convert-linalg-to-loops writes the scalar loop nest, lower-affine the constant index.
// An unfused activation is a generic of its own, into a fresh buffer (memref.alloc) when
// its result is not a function result.

builtin.module {
  func.func @f(%x: tensor<1x3x2x4xf32> {nn.name = "x"}, %s: tensor<3x1x1xf32> {nn.name = "s"}) -> (tensor<1x3x2x4xf32> {nn.name = "y"}) {
    %t = nn.tanh %x : (tensor<1x3x2x4xf32>) -> tensor<1x3x2x4xf32>
    %y = nn.add %t, %s : (tensor<1x3x2x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x2x4xf32>
    func.return %y : tensor<1x3x2x4xf32>
  }
}

// CHECK:      func.func @f(%x: memref<1x3x2x4xf32> {nn.name = "x"}, %s: memref<3x1x1xf32> {nn.name = "s"}, %y: memref<1x3x2x4xf32> {nn.name = "y", nn.output}) {
// CHECK:        %t = memref.alloc() : memref<1x3x2x4xf32>
// CHECK:        scf.for %[[I:.*]] = {{.*}} {
// CHECK:                %[[X:.*]] = memref.load %x[{{.*}}] : memref<1x3x2x4xf32>
// CHECK-NEXT:           %[[T:.*]] = math.tanh %[[X]] : f32
// CHECK-NEXT:           memref.store %[[T]], %t[{{.*}}] : memref<1x3x2x4xf32>
// CHECK:        scf.for %[[N:.*]] = %[[C0:.*]] to {{.*}} {
// CHECK-NEXT:     scf.for %[[C:.*]] = {{.*}} {
// CHECK-NEXT:       scf.for %[[H:.*]] = {{.*}} {
// CHECK-NEXT:         scf.for %[[W:.*]] = {{.*}} {
// CHECK-NEXT:           %[[A:.*]] = memref.load %t[%[[N]], %[[C]], %[[H]], %[[W]]] : memref<1x3x2x4xf32>
// CHECK-NEXT:           %[[B:.*]] = memref.load %s[%[[C]], %[[C0]], %[[C0]]] : memref<3x1x1xf32>
// CHECK-NEXT:           %[[SUM:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT:           memref.store %[[SUM]], %y[%[[N]], %[[C]], %[[H]], %[[W]]] : memref<1x3x2x4xf32>
// CHECK:        func.return
// CHECK-NOT:  linalg.
