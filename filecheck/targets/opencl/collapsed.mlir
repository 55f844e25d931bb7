// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1},plan-buffers,map-to-ndrange{max-dims=1 collapse=true local-size=64},layout-weights" -t opencl | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1},plan-buffers,map-to-ndrange{max-dims=1 collapse=true local-size=64},layout-weights" | filecheck %s --check-prefix=IR
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1},plan-buffers,map-to-ndrange{max-dims=1 collapse=true local-size=64 coarsen=4},layout-weights" -t opencl | filecheck %s --check-prefix=COARSE
//
// The opencl target's GPU schedule on the layer of fkw_conv.mlir: untiled (its 96 outputs are
// too few for the schedule's row tiles, tile-conv/min_items.mlir), scalar, and every
// loop of each parallel band in one flat NDRange (collapse): the padding copy's channels x
// rows x columns and the conv's filters x rows x columns are 2 x 6 x 8 = 96 work items, one
// output each, their indices split back by division and remainder (only the outermost loop
// needs a bound check; 32-bit arithmetic, the ranges being small), in groups of 64
// (model.json's "local" comes from ocl.local_size). With coarsen=4, the loop-free kernels
// (border fill, padding copy) take 4 ids per work item, grid-stride; the conv, whose work
// item runs the kernel loops, does not.
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

// CHECK:      * NDRange 160 */
// CHECK-NEXT: __kernel void k_y(__global float *restrict padded)
// CHECK:          const ptrdiff_t i = (ptrdiff_t)get_global_id(0);
// CHECK-NEXT:     if (i >= 160) return;
// CHECK:      * NDRange 96 */
// CHECK-NEXT: __kernel void k_y_1(
// CHECK:          const ptrdiff_t c = (ptrdiff_t)((uint)get_global_id(0) / 48u);
// CHECK-NEXT:     if (c >= 2) return;
// CHECK-NEXT:     const ptrdiff_t y = (ptrdiff_t)((uint)get_global_id(0) / 8u % 6u);
// CHECK-NEXT:     const ptrdiff_t x = (ptrdiff_t)((uint)get_global_id(0) % 8u);
// CHECK:      * NDRange 96 */
// CHECK-NEXT: __kernel void k_y_2(
// CHECK:          const ptrdiff_t j = (ptrdiff_t)((uint)get_global_id(0) / 48u);
// CHECK-NEXT:     if (j >= 2) return;
// CHECK:          const ptrdiff_t oh = (ptrdiff_t)((uint)get_global_id(0) / 8u % 6u);
// CHECK-NOT:      return;
// CHECK:          const ptrdiff_t ow = (ptrdiff_t)((uint)get_global_id(0) % 8u);
// CHECK-NOT:      return;
// CHECK:          for (ptrdiff_t k = {{.*}}; k++) {
// CHECK-NOT:  get_global_id(1)

// IR:      } {nn.layer = {{.*}}, ocl.global_dim = 0 : i64, ocl.local_size = 64 : i64}
// IR:            } {ocl.global_dim = 0 : i64}
// IR-NEXT:     } {ocl.global_dim = 0 : i64}
// IR-NEXT:   } {nn.layer = {{.*}}, ocl.global_dim = 0 : i64, ocl.local_size = 64 : i64}
// IR:          } {pat.loop = "cols", ocl.global_dim = 0 : i64}
// IR-NEXT:   } {pat.loop = "rows", ocl.global_dim = 0 : i64}
// IR-NEXT: } {pat.loop = "filters", nn.layer = {{.*}}, ocl.global_dim = 0 : i64, ocl.local_size = 64 : i64}

// COARSE:      * NDRange 40, 4 ids per work item */
// COARSE-NEXT: __kernel void k_y(__global float *restrict padded)
// COARSE:          for (ptrdiff_t g = get_global_id(0); g < 160; g += get_global_size(0)) {
// COARSE-NEXT:         const ptrdiff_t i = (ptrdiff_t)g;
// COARSE:              padded[i] = 0.0f;
// COARSE-NEXT:     }
// COARSE:      * NDRange 24, 4 ids per work item */
// COARSE:          for (ptrdiff_t g = get_global_id(0); g < 96; g += get_global_size(0)) {
// COARSE-NEXT:         const ptrdiff_t c = (ptrdiff_t)((uint)g / 48u);
// COARSE:              const ptrdiff_t x = (ptrdiff_t)((uint)g % 8u);
// COARSE:      * NDRange 96 */
// COARSE-NOT:  get_global_size
