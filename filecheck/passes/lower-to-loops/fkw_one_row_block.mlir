// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1 row-blocks=false}" | filecheck %s --check-prefix=ONE
//
// Row blocks: the padded input (128 channels of 36 x 36 floats, 663 KB) is larger than
// ROW_BLOCK_BYTES (512 KB), so the 34 output rows run in blocks of 24 (the input rows of a
// block fit a CPU core's L2): one block of 24 rows (a block loop of one trip is not
// emitted), then a last block of 10 rows, each its own rows loop. row-blocks=false (the
// opencl target: on a GPU the blocks only split the NDRange, into a main and a remainder
// kernel) takes all 34 rows in one rows loop. One filter with one kernel.

builtin.module {
  func.func @layer(%x: tensor<1x128x34x34xf32>) -> tensor<1x1x34x34xf32> {
    %offset = arith.constant dense<[0, 1]> : tensor<2xi32>
    %reorder = arith.constant dense<[0]> : tensor<1xi32>
    %index = arith.constant dense<[5]> : tensor<1xi32>
    %stride = arith.constant dense<[[0, 1, 1]]> : tensor<1x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x128x34x34xf32>, tensor<2xi32>, tensor<1xi32>, tensor<1xi32>, tensor<1x3xi32>, tensor<1x4xf32>) -> tensor<1x1x34x34xf32>
    func.return %y : tensor<1x1x34x34xf32>
  }
}

// CHECK-DAG:  %[[R24:.*]] = arith.constant 24 : index
// CHECK-DAG:  %[[R10:.*]] = arith.constant 10 : index
// CHECK:      scf.for %oh = %{{.*}} to %[[R24]] step
// CHECK:      } {pat.loop = "rows"{{.*}}}
// CHECK:      scf.for %oh_1 = %{{.*}} to %[[R10]] step
// CHECK:      } {pat.loop = "rows"{{.*}}}

// ONE:        %[[R34:.*]] = arith.constant 34 : index
// ONE-NOT:    arith.constant 24 : index
// ONE:        scf.for %oh = %{{.*}} to %[[R34]] step
// ONE:        } {pat.loop = "rows"{{.*}}}
// ONE-NOT:    scf.for %oh_1
