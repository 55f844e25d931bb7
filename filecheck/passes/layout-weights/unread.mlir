// RUN: xdsl-opt %s -p "layout-weights" | filecheck %s

// A private global that no memref.get_global reads (@unread: a lowering read a copy of it in
// another layout) is removed before the offsets are laid out, so the blob does not carry
// it: @used takes offset 0, the public @public (kept, read or not) 64; the blob is 128 bytes.

builtin.module {
  "memref.global"() <{sym_name = "unread", type = memref<16xf32>, initial_value = dense<1.0> : tensor<16xf32>, sym_visibility = "private", constant}> : () -> ()
  "memref.global"() <{sym_name = "used", type = memref<4xf32>, initial_value = dense<2.0> : tensor<4xf32>, sym_visibility = "private", constant}> : () -> ()
  "memref.global"() <{sym_name = "public", type = memref<4xf32>, initial_value = dense<3.0> : tensor<4xf32>, sym_visibility = "public", constant}> : () -> ()
  func.func @f(%out: memref<4xf32>) {
    %g = memref.get_global @used : memref<4xf32>
    "memref.copy"(%g, %out) : (memref<4xf32>, memref<4xf32>) -> ()
    func.return
  }
}

// CHECK:      builtin.module attributes {patcc.weights_bytes = 128 : i64} {
// CHECK-NOT:    @unread
// CHECK-NEXT:   "memref.global"() <{sym_name = "used", {{.*}}}> {patcc.blob_offset = 0 : i64} : () -> ()
// CHECK-NEXT:   "memref.global"() <{sym_name = "public", {{.*}}}> {patcc.blob_offset = 64 : i64} : () -> ()
