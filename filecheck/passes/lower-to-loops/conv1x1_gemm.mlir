// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | xdsl-opt | filecheck %s

// A 1x1 conv (no pad, bias) + relu on a 1x3x2x10 input, 4 filters: a GEMM over the
// flattened image of 20 pixels, 5 vectors of 4. The pixels run outermost in panels of one
// register tile: each panel is first copied (packed) into a contiguous 3 x 12 buffer (slot 0;
// panels go in groups only when the weights overflow L2), then every tile of 4 filters
// reads its vectors from there, with the weights broadcast from the 4 x 3 view of w. The
// row's 5 vectors make a tile of 3 and a tile of 2; the bias is the accumulators' initial
// value and the relu is fused into the stores.

builtin.module {
  func.func @layer(%x: tensor<1x3x2x10xf32> {nn.name = "input"}) -> (tensor<1x4x2x10xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<4x3x1x1xf32>
    %b = arith.constant dense<[0.1, -0.2, 0.3, 0.4]> : tensor<4xf32>
    %y = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x2x10xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<1x4x2x10xf32>
    %r = nn.relu %y : (tensor<1x4x2x10xf32>) -> tensor<1x4x2x10xf32>
    func.return %r : tensor<1x4x2x10xf32>
  }
}

// CHECK:      func.func @layer(%x: memref<1x3x2x10xf32> {nn.name = "input"}, %r: memref<1x4x2x10xf32> {nn.name = "output", nn.output}) {
// CHECK-DAG:    %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:    %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:    %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG:    %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG:    %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:    %[[C12:.*]] = arith.constant 12 : index
// CHECK-DAG:    %[[C16:.*]] = arith.constant 16 : index
// CHECK:        %[[X:.*]] = memref.expand_shape {{.*}} : memref<60xf32> into memref<1x3x20xf32>
// CHECK:        %[[Y:.*]] = memref.expand_shape {{.*}} : memref<80xf32> into memref<1x4x20xf32>
// CHECK:        %[[W:.*]] = memref.expand_shape {{.*}} : memref<12xf32> into memref<4x3xf32>
// CHECK-NEXT:   %panel = memref.alloc() : memref<1x3x12xf32>
// CHECK-NEXT:   scf.for %[[PC:c[_0-9]*]] = %[[C0]] to %[[C3]] step %[[C1]] {
// CHECK-NEXT:     %[[P0:.*]] = vector.load %[[X]][%[[C0]], %[[PC]], %[[C0]]] : memref<1x3x20xf32>, vector<4xf32>
// CHECK-NEXT:     vector.store %[[P0]], %panel[%[[C0]], %[[PC]], %[[C0]]] : memref<1x3x12xf32>, vector<4xf32>
// CHECK-NEXT:     %[[P1:.*]] = vector.load %[[X]][%[[C0]], %[[PC]], %[[C4]]] : memref<1x3x20xf32>, vector<4xf32>
// CHECK-NEXT:     vector.store %[[P1]], %panel[%[[C0]], %[[PC]], %[[C4]]] : memref<1x3x12xf32>, vector<4xf32>
// CHECK-NEXT:     %[[P2:.*]] = vector.load %[[X]][%[[C0]], %[[PC]], %[[C8]]] : memref<1x3x20xf32>, vector<4xf32>
// CHECK-NEXT:     vector.store %[[P2]], %panel[%[[C0]], %[[PC]], %[[C8]]] : memref<1x3x12xf32>, vector<4xf32>
// CHECK-NEXT:   }
// CHECK-NEXT:   %[[B0:.*]] = memref.load %b[%[[C0]]]
// CHECK-NEXT:   %[[I0:.*]] = vector.broadcast %[[B0]] {{.*}} : f32 to vector<4xf32>
// CHECK:        %[[R0:[0-9]+]], {{.*}} = scf.for %[[C:c[_0-9]*]] = %[[C0]] to %[[C3]] step %[[C1]] iter_args(%[[A:.*]] = %[[I0]], %{{.*}} = %[[I0]], %{{.*}} = %[[I0]], {{.*}}) -> ({{.*}}) {
// CHECK-NEXT:     %[[V0:.*]] = vector.load %panel[%[[C0]], %[[C]], %[[C0]]] : memref<1x3x12xf32>, vector<4xf32>
// CHECK-NEXT:     %[[V1:.*]] = vector.load %panel[%[[C0]], %[[C]], %[[C4]]] : memref<1x3x12xf32>, vector<4xf32>
// CHECK-NEXT:     %[[V2:.*]] = vector.load %panel[%[[C0]], %[[C]], %[[C8]]] : memref<1x3x12xf32>, vector<4xf32>
// CHECK-NEXT:     %[[WT:.*]] = memref.load %[[W]][%[[C0]], %[[C]]] : memref<4x3xf32>
// CHECK-NEXT:     %[[WV:.*]] = vector.broadcast %[[WT]] : f32 to vector<4xf32>
// CHECK-NEXT:     %[[F:.*]] = vector.fma %[[V0]], %[[WV]], %[[A]] : vector<4xf32>
// CHECK-COUNT-11: vector.fma
// CHECK-NEXT:     scf.yield %[[F]],
// CHECK-NEXT:   }
// CHECK-NEXT:   %[[R:.*]] = arith.maximumf %[[R0]], %{{.*}}
// CHECK-NEXT:   vector.store %[[R]], %[[Y]][%[[C0]], %[[C0]], %[[C0]]] {{.*}}: memref<1x4x20xf32>, vector<4xf32>
// CHECK-COUNT-11: vector.store {{.*}}, %[[Y]]
// CHECK-NEXT:   scf.for %[[PC2:c[_0-9]*]] = %[[C0]] to %[[C3]] step %[[C1]] {
// CHECK-NEXT:     %[[Q0:.*]] = vector.load %[[X]][%[[C0]], %[[PC2]], %[[C12]]] : memref<1x3x20xf32>, vector<4xf32>
// CHECK-NEXT:     vector.store %[[Q0]], %panel[%[[C0]], %[[PC2]], %[[C0]]] : memref<1x3x12xf32>, vector<4xf32>
// CHECK-NEXT:     %[[Q1:.*]] = vector.load %[[X]][%[[C0]], %[[PC2]], %[[C16]]] : memref<1x3x20xf32>, vector<4xf32>
// CHECK-NEXT:     vector.store %[[Q1]], %panel[%[[C0]], %[[PC2]], %[[C4]]] : memref<1x3x12xf32>, vector<4xf32>
// CHECK-NEXT:   }
// CHECK:        = scf.for %{{c[_0-9]*}} = %[[C0]] to %[[C3]] step %[[C1]] iter_args({{([^,]*, ){7}[^,]*}}) -> (
// CHECK-COUNT-8: vector.fma
// CHECK:        vector.store {{.*}}, %[[Y]][%[[C0]], %{{.*}}, %[[C16]]]
// CHECK-NOT:    memref.store %{{.*}}, %r
// CHECK:        func.return
// CHECK-NOT:  nn.
