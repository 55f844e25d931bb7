// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s
// RUN: xdsl-opt %s -p "stream-stores" | filecheck %s

// pat.store_fence at loop level: no operand, no result; the streaming stores before it are
// done before anything after it. A function argument's stores are never streamed, so
// stream-stores leaves this module as it is.

builtin.module {
  func.func @fenced(%y: memref<16xf32>, %v: vector<16xf32>) {
    %c0 = arith.constant 0 : index
    vector.store %v, %y[%c0] {nontemporal = true} : memref<16xf32>, vector<16xf32>
    pat.store_fence
    func.return
  }
}

// CHECK:      vector.store %v, %y[%c0] {nontemporal = true} : memref<16xf32>, vector<16xf32>
// CHECK-NEXT: pat.store_fence
// CHECK-NEXT: func.return
