// RUN: xdsl-opt %s -p "plan-buffers" | filecheck %s
// RUN: xdsl-opt %s -p "plan-buffers,layout-weights" -t x86-c | filecheck %s --check-prefix=C

// Orphans: top-level ops without an `nn.layer` label, as xDSL's canonicalize leaves them when
// it inlines a one-trip loop (a conv's one-filter group). Here layer A's orphans (%m, %k,
// %v) sit between two ops of A, and CSE has merged them with B's equal ops (B uses %m and
// %k too): they are A's, so A stays one run of ops, one function, and B re-declares the
// pure min and the load of the constant global it shares with A.

builtin.module {
  "memref.global"() <{sym_name = "table", type = memref<2xi32>, initial_value = dense<[3, 1]> : tensor<2xi32>, constant, sym_visibility = "private"}> : () -> ()
  func.func @f(%x: memref<4xf32> {nn.name = "input"}, %y: memref<4xf32> {nn.name = "output", nn.output}) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %f = arith.constant 1.0 : f32
    %t = memref.get_global @table : memref<2xi32>
    memref.store %f, %y[%c0] {nn.layer = "A"} : memref<4xf32>
    %m = arith.minsi %c0, %c1 : index
    %k = memref.load %t[%m] : memref<2xi32>
    %ki = arith.index_cast %k : i32 to index
    %v = memref.load %x[%ki] : memref<4xf32>
    memref.store %v, %y[%c1] {nn.layer = "A"} : memref<4xf32>
    memref.store %f, %y[%m] {nn.layer = "B"} : memref<4xf32>
    memref.store %f, %y[%ki] {nn.layer = "B"} : memref<4xf32>
    func.return
  }
}

// CHECK:      memref.store %f, %y[%c0] {nn.layer = "A"}
// CHECK-NEXT: %m = arith.minsi %c0, %c1 {nn.layer = "A"} : index
// CHECK-NEXT: %k = memref.load %t[%m] {nn.layer = "A"} : memref<2xi32>
// CHECK-NEXT: %ki = arith.index_cast %k {nn.layer = "A"} : i32 to index
// CHECK-NEXT: %v = memref.load %x[%ki] {nn.layer = "A"} : memref<4xf32>
// CHECK-NEXT: memref.store %v, %y[%c1] {nn.layer = "A"}
// CHECK-NEXT: memref.store %f, %y[%m] {nn.layer = "B"}

// C:      static void layer0_A(const float *restrict input, float *restrict output, const unsigned char *weights)
// C:          output[1] = v;
// C-NEXT: }
// C:      static void layer1_B(float *restrict output, const unsigned char *weights)
// C-NEXT: {
// C-NEXT:     const int32_t *restrict t = (const int32_t *)(weights + 0);
// C-NEXT:     const ptrdiff_t m = patcc_minsi(0, 1);
// C-NEXT:     const int32_t k = t[m];
// C-NEXT:     const ptrdiff_t ki = (ptrdiff_t)k;
// C-NEXT:     output[m] = 1.0f;
// C-NEXT:     output[ki] = 1.0f;
// C-NEXT: }
// C:          layer0_A(input, output, w);
// C-NEXT:     layer1_B(output, w);
// C-NEXT: }
