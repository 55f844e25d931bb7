// RUN: xdsl-opt %s -p canonicalize-hoisted | filecheck %s
//
// Constants inside a 3-deep loop nest, and one folded there (2 + 3): all end up before the
// outermost loop in one run, as xDSL's canonicalize leaves them after one walk per level.
// A single-iteration loop is inlined and `x + 0` folds, as in canonicalize.

builtin.module {
  func.func @f(%out: memref<4x4x4xindex>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    scf.for %i = %c0 to %c4 step %c1 {
      %z = arith.constant 0 : index
      scf.for %j = %c0 to %c4 step %c1 {
        %one = arith.constant 1 : index
        scf.for %k = %c0 to %one step %c1 {
          %two = arith.constant 2 : index
          %three = arith.constant 3 : index
          %five = arith.addi %two, %three : index
          %jz = arith.addi %j, %z : index
          %v = arith.addi %jz, %five : index
          memref.store %v, %out[%i, %j, %k] : memref<4x4x4xindex>
        }
      }
    }
    func.return
  }
}

// CHECK-LABEL: func.func @f
// CHECK:         %five = arith.constant 5 : index
// CHECK-NEXT:    scf.for %i = %c0 to %c4 step %c1 {
// CHECK-NEXT:      scf.for %j = %c0 to %c4 step %c1 {
// CHECK-NEXT:        %v = arith.addi %j, %five : index
// CHECK-NEXT:        memref.store %v, %out[%i, %j, %c0] : memref<4x4x4xindex>
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return
