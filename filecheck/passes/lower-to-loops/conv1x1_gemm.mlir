// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | xdsl-opt | filecheck %s

// A 1x1 conv (no pad, bias) + relu on a 1x3x4x10 input, 4 filters: a GEMM over the
// flattened image of 40 pixels, 10 vectors of 4, in pixel panels of 3, 3, 2 and 2 vectors
// (never a panel of 1). The input is first packed: each panel a contiguous 3 x 12 block of
// %panel (the looped panels in one loop over t, the last two in one loop over c). Then the
// filters (one block of 4: the weights are far below the L2 budget) run over every panel,
// reading it from the flat view of %panel at offset p * C (looped) or slot * 36 (the others),
// each weight broadcast from the 4 x 3 view of w for 3 (or 2) vectors; the bias is the
// accumulators' initial value and the relu is fused into the stores.

builtin.module {
  func.func @layer(%x: tensor<1x3x4x10xf32> {nn.name = "input"}) -> (tensor<1x4x4x10xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<4x3x1x1xf32>
    %b = arith.constant dense<[0.1, -0.2, 0.3, 0.4]> : tensor<4xf32>
    %y = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x10xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x10xf32>
    %r = nn.relu %y : (tensor<1x4x4x10xf32>) -> tensor<1x4x4x10xf32>
    func.return %r : tensor<1x4x4x10xf32>
  }
}

// CHECK:      func.func @layer(%x: memref<1x3x4x10xf32> {nn.name = "input"}, %r: memref<1x4x4x10xf32> {nn.name = "output", nn.output}) {
// CHECK-DAG:    %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:    %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:    %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG:    %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG:    %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG:    %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:    %[[C12:.*]] = arith.constant 12 : index
// CHECK-DAG:    %[[C24:.*]] = arith.constant 24 : index
// CHECK-DAG:    %[[C28:.*]] = arith.constant 28 : index
// CHECK-DAG:    %[[C72:.*]] = arith.constant 72 : index
// CHECK:        %[[X:.*]] = memref.expand_shape {{.*}} : memref<120xf32> into memref<1x3x40xf32>
// CHECK:        %[[Y:.*]] = memref.expand_shape {{.*}} : memref<160xf32> into memref<1x4x40xf32>
// CHECK:        %[[W:.*]] = memref.expand_shape {{.*}} : memref<12xf32> into memref<4x3xf32>
// CHECK-NEXT:   %panel = memref.alloc() : memref<4x3x12xf32>
// CHECK-NEXT:   %[[FLAT:.*]] = memref.collapse_shape %panel {{.*}} : memref<4x3x12xf32> into memref<144xf32>
// CHECK-NEXT:   scf.for %[[T:t[_0-9]*]] = %[[C0]] to %[[C2]] step %[[C1]] {
// CHECK-NEXT:     scf.for %[[PC:c[_0-9]*]] = %[[C0]] to %[[C3]] step %[[C1]] {
// CHECK-NEXT:       %[[P0:.*]] = arith.muli %[[T]], %[[C12]] : index
// CHECK-NEXT:       %[[XV:.*]] = vector.load %[[X]][%[[C0]], %[[PC]], %[[P0]]] : memref<1x3x40xf32>, vector<4xf32>
// CHECK-NEXT:       vector.store %[[XV]], %panel[%[[T]], %[[PC]], %[[C0]]] : memref<4x3x12xf32>, vector<4xf32>
// CHECK-COUNT-2:    vector.store %{{.*}}, %panel[%[[T]], %[[PC]], %{{.*}}]
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   scf.for %[[SC:c[_0-9]*]] = %[[C0]] to %[[C3]] step %[[C1]] {
// CHECK-NEXT:     %[[S0:.*]] = vector.load %[[X]][%[[C0]], %[[SC]], %[[C24]]] : memref<1x3x40xf32>, vector<4xf32>
// CHECK-NEXT:     vector.store %[[S0]], %panel[%[[C2]], %[[SC]], %[[C0]]] : memref<4x3x12xf32>, vector<4xf32>
// CHECK-NEXT:     %[[S1:.*]] = vector.load %[[X]][%[[C0]], %[[SC]], %[[C28]]] : memref<1x3x40xf32>, vector<4xf32>
// CHECK-NEXT:     vector.store %[[S1]], %panel[%[[C2]], %[[SC]], %[[C4]]] : memref<4x3x12xf32>, vector<4xf32>
// CHECK-COUNT-2:  vector.store %{{.*}}, %panel[%[[C3]], %[[SC]], %{{.*}}]
// CHECK-NEXT:   }
// CHECK-NEXT:   scf.for %[[P:p[_0-9]*]] = %[[C0]] to %[[C24]] step %[[C12]] {
// CHECK:          %[[BASE:.*]] = arith.muli %[[P]], %[[C3]] : index
// CHECK:          %[[B0:.*]] = memref.load %b[%[[C0]]]
// CHECK-NEXT:     %[[I0:.*]] = vector.broadcast %[[B0]] : f32 to vector<4xf32>
// CHECK:          %[[R0:[0-9]+]], {{.*}} = scf.for %[[C:c[_0-9]*]] = %[[C0]] to %[[C3]] step %[[C1]] iter_args(%[[A:.*]] = %[[I0]], %{{.*}} = %[[I0]], %{{.*}} = %[[I0]], {{([^,]*, ){8}[^,]*}}) -> (
// CHECK-NEXT:       %[[ROW:.*]] = arith.muli %[[C]], %[[C12]] : index
// CHECK-NEXT:       %[[OFF:.*]] = arith.addi %[[ROW]], %[[BASE]] : index
// CHECK-NEXT:       %[[V0:.*]] = vector.load %[[FLAT]][%[[OFF]]] : memref<144xf32>, vector<4xf32>
// CHECK-COUNT-2:    vector.load %[[FLAT]]
// CHECK-NEXT:       %[[WT:.*]] = memref.load %[[W]][%[[C0]], %[[C]]] : memref<4x3xf32>
// CHECK-NEXT:       %[[WV:.*]] = vector.broadcast %[[WT]] : f32 to vector<4xf32>
// CHECK-NEXT:       %[[F:.*]] = vector.fma %[[V0]], %[[WV]], %[[A]] : vector<4xf32>
// CHECK-COUNT-11:   vector.fma
// CHECK-NEXT:       scf.yield %[[F]],
// CHECK-NEXT:     }
// CHECK-NEXT:     %[[RELU:.*]] = arith.maximumf %[[R0]], %{{.*}}
// CHECK-NEXT:     vector.store %[[RELU]], %[[Y]][%[[C0]], %[[C0]], %[[P]]] {{.*}}: memref<1x4x40xf32>, vector<4xf32>
// CHECK-COUNT-11: vector.store {{.*}}, %[[Y]]
// CHECK-NEXT:   }
// CHECK:        = scf.for %{{c[_0-9]*}} = %[[C0]] to %[[C3]] step %[[C1]] iter_args({{([^,]*, ){7}[^,]*}}) -> (
// CHECK-NEXT:     %[[ROW2:.*]] = arith.muli %{{.*}}, %[[C12]] : index
// CHECK-NEXT:     arith.addi %[[ROW2]], %[[C72]] : index
// CHECK-COUNT-8:  vector.fma
// CHECK:        vector.store {{.*}}, %[[Y]][%[[C0]], %{{.*}}, %[[C28]]]
// CHECK:        = scf.for
// CHECK-COUNT-8:  vector.fma
// CHECK-NOT:    memref.store %{{.*}}, %r
// CHECK:        func.return
// CHECK-NOT:  nn.
