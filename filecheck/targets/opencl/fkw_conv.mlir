// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},tile-conv{oc=1 oh=2 ow=1},eliminate-load-redundancy,canonicalize,cse,plan-buffers,map-to-ndrange,layout-weights" -t opencl | filecheck %s
//
// The hand-sized FKW layer of passes/eliminate-load-redundancy/fkw_conv.mlir as OpenCL C:
// one kernel per top-level loop nest (border fill, padding copy, conv). The conv's filter,
// row-tile and column loops are the NDRange (filters in dimension 2, 2 row tiles of 3 in 1,
// 2 float4 columns in 0); the kernel loops of each pattern stay loops, carrying the 2 x 1
// register tile; weights come from the blob at layout-weights' offsets.

builtin.module {
  func.func @layer(%x: tensor<1x2x6x8xf32>) -> tensor<1x2x6x8xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %bias = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x6x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x6x8xf32>
    func.return %y : tensor<1x2x6x8xf32>
  }
}

// CHECK:      /* y: pat fkw_conv2d 1x2x6x8 -> 1x2x6x8, 2 patterns
// CHECK-NEXT:  * NDRange 160 */
// CHECK-NEXT: __kernel void k_y(__global float *restrict padded)
// CHECK:          const ptrdiff_t i = (ptrdiff_t)get_global_id(0);
// CHECK:      * NDRange 8x6x2 */
// CHECK-NEXT: __kernel void k_y_1(const __global float *restrict arg0, __global float *restrict padded)
// CHECK:      * NDRange 2x3x2 */
// CHECK-NEXT: __kernel void k_y_2(__global float *restrict arg1, const __global float *restrict padded, const __global uchar *restrict weights)
// CHECK:          const __global int *restrict reorder = (const __global int *)(weights + 64);
// CHECK:          const __global float *restrict weight = (const __global float *)(weights + 256);
// CHECK:          const ptrdiff_t j = (ptrdiff_t)get_global_id(2);
// CHECK-NEXT:     if (j >= 2) return;
// CHECK:          const ptrdiff_t oh0 = (ptrdiff_t)get_global_id(1) * 2;
// CHECK:          const ptrdiff_t ow = (ptrdiff_t)get_global_id(0) * 4;
// CHECK:          float4 acc = [[BIAS:v_[0-9]+]];
// CHECK-NEXT:     float4 acc_1 = [[BIAS]];
// CHECK-NEXT:     for (ptrdiff_t k = {{.*}}; k++) {
// CHECK:              const float4 [[X:v_[0-9]+]] = vload4(0, padded + {{.*}});
// CHECK:              fma([[X]], {{v_[0-9]+}}, acc);
// CHECK:          for (ptrdiff_t k_1 = {{.*}}; k_1++) {
// CHECK:          select({{.*}}, isnan(acc_2) | (acc_2 > {{.*}}));
// CHECK-NEXT:     vstore4({{v_[0-9]+}}, 0, arg1 + {{.*}});
// CHECK-NOT:  __kernel
// CHECK-NOT:  omp
