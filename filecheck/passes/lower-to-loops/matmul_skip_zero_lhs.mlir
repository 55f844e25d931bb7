// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1}" | filecheck %s --check-prefix=PLAIN
//
// A matmul with skip_zero_lhs (what split-k-gemm makes of a classifier's partial products)
// tests each lhs value in its reduction loop: `une 0` (a nan still multiplies), and only a
// non-zero one reads its rhs value and adds its product; a zero carries the sum through.
// Without the property the loop loads and multiplies every term.
builtin.module {
  func.func @skip(%x: tensor<2x1x3xf32>, %w: tensor<2x3x4xf32>) -> tensor<2x1x4xf32> {
    %p = nn.matmul %x, %w {skip_zero_lhs = 1 : i64} : (tensor<2x1x3xf32>, tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
    func.return %p : tensor<2x1x4xf32>
  }
  func.func @plain(%x: tensor<2x1x3xf32>, %w: tensor<2x3x4xf32>) -> tensor<2x1x4xf32> {
    %p = nn.matmul %x, %w : (tensor<2x1x3xf32>, tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
    func.return %p : tensor<2x1x4xf32>
  }
}

// CHECK-LABEL: func.func @skip
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:       %[[SUM:.*]] = scf.for %k = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32) {
// CHECK-NEXT:    %[[A:.*]] = memref.load %x[%{{.*}}, %{{.*}}, %k] : memref<2x1x3xf32>
// CHECK-NEXT:    %[[NZ:.*]] = arith.cmpf une, %[[A]], %[[ZERO]] : f32
// CHECK-NEXT:    %[[T:.*]] = scf.if %[[NZ]] -> (f32) {
// CHECK-NEXT:      %[[B:.*]] = memref.load %w[%{{.*}}, %k, %{{.*}}] : memref<2x3x4xf32>
// CHECK-NEXT:      %[[M:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[M]], %[[ACC]] : f32
// CHECK-NEXT:      scf.yield %[[S]] : f32
// CHECK-NEXT:    } else {
// CHECK-NEXT:      scf.yield %[[ACC]] : f32
// CHECK-NEXT:    }
// CHECK-NEXT:    scf.yield %[[T]] : f32
// CHECK-NEXT:  }
// CHECK-NEXT:  memref.store %[[SUM]], %p[

// PLAIN-LABEL: func.func @plain
// PLAIN-NOT:   scf.if
// PLAIN:       memref.load %w
// PLAIN-NOT:   scf.if
// PLAIN:       memref.store
