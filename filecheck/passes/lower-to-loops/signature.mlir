// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p lower-to-loops | filecheck %s

// The loop-level signature: inputs as memrefs (their attributes kept), then one trailing
// out-parameter per result, marked nn.output; the function returns nothing. A value
// returned twice, an input returned as it is and a constant returned are copied into their
// out-parameters; a computed result is written into its out-parameter directly.

builtin.module {
  func.func @g(%a: tensor<2x3xf32> {nn.name = "a"}) -> (tensor<2x3xf32> {nn.name = "r"}, tensor<2x3xf32> {nn.name = "r_again"}, tensor<2x3xf32> {nn.name = "same"}, tensor<3xf32> {nn.name = "k"}) {
    %k = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
    %r = nn.mul %a, %k : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    func.return %r, %r, %a, %k : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xf32>
  }
}

// CHECK:      "memref.global"() <{sym_name = "k", type = memref<3xf32>, {{.*}}, sym_visibility = "private", constant}>
// CHECK:      func.func @g(%a: memref<2x3xf32> {nn.name = "a"}, %r: memref<2x3xf32> {nn.name = "r", nn.output}, %r_1: memref<2x3xf32> {nn.name = "r_again", nn.output}, %a_1: memref<2x3xf32> {nn.name = "same", nn.output}, %k: memref<3xf32> {nn.name = "k", nn.output}) {
// CHECK-NOT:    memref.alloc
// CHECK:        %k_1 = memref.get_global @k : memref<3xf32>
// CHECK:        memref.store %{{.*}}, %r[%{{.*}}, %{{.*}}] : memref<2x3xf32>
// CHECK:        "memref.copy"(%r, %r_1) : (memref<2x3xf32>, memref<2x3xf32>) -> ()
// CHECK-NEXT:   "memref.copy"(%a, %a_1) : (memref<2x3xf32>, memref<2x3xf32>) -> ()
// CHECK-NEXT:   "memref.copy"(%k_1, %k) : (memref<3xf32>, memref<3xf32>) -> ()
// CHECK-NEXT:   func.return
// CHECK-NEXT: }

// -----

// An op without a lowering is an error naming it, never skipped.
builtin.module {
  func.func @h(%a: tensor<2xf32>) -> tensor<2xf32> {
    %r = "test.op"(%a) : (tensor<2xf32>) -> tensor<2xf32>
    func.return %r : tensor<2xf32>
  }
}

// CHECK: lower-to-loops: no lowering for op 'test.op' (see patcc/lowering/registry.py)
