// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},layout-weights" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},layout-weights,layout-weights" | filecheck %s

// Each constant global gets its byte offset in weights.bin, 64-byte aligned in module
// order: w (3x2x3x3 f32 = 216 bytes) at 0, b (12 bytes) at 256; the blob is 320 bytes.
// Running the pass again gives the same layout.

builtin.module {
  func.func @layer(%x: tensor<1x2x4x10xf32> {nn.name = "input"}) -> (tensor<1x3x4x10xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<3x2x3x3xf32>
    %b = arith.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
    %y = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x10xf32>, tensor<3x2x3x3xf32>, tensor<3xf32>) -> tensor<1x3x4x10xf32>
    func.return %y : tensor<1x3x4x10xf32>
  }
}

// CHECK:      builtin.module attributes {patcc.weights_bytes = 320 : i64} {
// CHECK-NEXT:   "memref.global"() <{sym_name = "w", {{.*}}}> {patcc.blob_offset = 0 : i64} : () -> ()
// CHECK-NEXT:   "memref.global"() <{sym_name = "b", {{.*}}}> {patcc.blob_offset = 256 : i64} : () -> ()
