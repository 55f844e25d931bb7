// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},plan-buffers" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},plan-buffers,plan-buffers" | filecheck %s

// Three 256-byte intermediates in a chain: a (conv + fused sigmoid), b = tanh a, c = tanh b;
// the result goes straight into the out-parameter. a is dead once b is computed, so c
// takes a's place: the workspace is 512 bytes where one buffer per tensor needs 768. The
// allocs become views of the workspace argument (hoisted to the entry). Running the pass
// twice changes nothing. (The conv has 2 groups: a group-1 1x1 conv would add the packed
// panel of its GEMM, `patcc/lowering/pointwise.py`, to the buffers.)

builtin.module {
  func.func @chain(%x: tensor<1x2x4x8xf32> {nn.name = "input"}) -> (tensor<1x2x4x8xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<2x1x1x1xf32>
    %c0 = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x2x4x8xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x8xf32>
    %a = nn.sigmoid %c0 : (tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
    %b = nn.tanh %a : (tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
    %c = nn.tanh %b : (tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
    %d = nn.add %c, %x : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
    func.return %d : tensor<1x2x4x8xf32>
  }
}

// CHECK:      func.func @chain(%x: memref<1x2x4x8xf32> {nn.name = "input"}, %d: memref<1x2x4x8xf32> {nn.name = "output", nn.output}, %workspace: memref<512xi8> {nn.name = "workspace", nn.workspace})
// CHECK-SAME: attributes {patcc.workspace_bytes = 512 : i64, patcc.unplanned_activation_bytes = 768 : i64}
// CHECK-NEXT:   %[[OFF0:.*]] = arith.constant 0 : index
// CHECK-NEXT:   %a = memref.view %workspace[%[[OFF0]]][] : memref<512xi8> to memref<1x2x4x8xf32>
// CHECK-NEXT:   %c = memref.view %workspace[%[[OFF0]]][] : memref<512xi8> to memref<1x2x4x8xf32>
// CHECK-NEXT:   %[[OFF256:.*]] = arith.constant 256 : index
// CHECK-NEXT:   %b = memref.view %workspace[%[[OFF256]]][] : memref<512xi8> to memref<1x2x4x8xf32>
// CHECK-NOT:  memref.alloc
