// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s
// RUN: xdsl-opt %s -p "prefetch-next-kernel" | filecheck %s

// pat.prefetch at loop level: a read hint for one element (the line holding it), one index
// per dimension; it has no result and no effect on values.

builtin.module {
  func.func @hint(%padded: memref<1x64x58x58xf32>, %c: index, %row: index, %col: index) {
    %n = arith.constant 0 : index
    pat.prefetch %padded[%n, %c, %row, %col] : memref<1x64x58x58xf32>
    func.return
  }
}

// CHECK:      pat.prefetch %padded[%n, %c, %row, %col] : memref<1x64x58x58xf32>
// CHECK-NEXT: func.return
