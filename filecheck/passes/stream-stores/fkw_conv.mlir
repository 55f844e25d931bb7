// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},plan-buffers,parallelize,stream-stores{min-bytes=256}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},plan-buffers,parallelize,stream-stores{min-bytes=1048576}" | filecheck %s --check-prefix=NONE
//
// The FKW layer of lower-to-loops' tests at 8 columns (two vectors of 4), its 384-byte
// output read by a max pool: a workspace view, 64-byte aligned, each row and each vector
// at multiples of 4 floats. The conv's vector stores are streamed, and its parallel loop
// (the filters) ends in a fence. The padded input's and the pool's scalar stores stay
// plain, and nothing else is fenced. With a 1 MB threshold nothing is marked.

builtin.module {
  func.func @layer(%x: tensor<1x2x6x8xf32>) -> tensor<1x2x3x4xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %bias = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x6x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x6x8xf32>
    %p = nn.max_pool %y {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x6x8xf32>) -> tensor<1x2x3x4xf32>
    func.return %p : tensor<1x2x3x4xf32>
  }
}

// CHECK:      %[[Y:.*]] = memref.view %{{.*}} : memref<{{[0-9]+}}xi8> to memref<1x2x6x8xf32>
// CHECK:      vector.store %{{.*}}, %[[Y]][%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] {nontemporal = true} : memref<1x2x6x8xf32>, vector<4xf32>
// CHECK:      pat.store_fence
// CHECK-NEXT: } {pat.loop = "filters", nn.layer = "y: pat fkw_conv2d {{.*}}", patcc.parallel = "cyclic"}
// CHECK-NOT:  nontemporal
// CHECK-NOT:  pat.store_fence

// NONE-NOT: nontemporal
// NONE-NOT: pat.store_fence
