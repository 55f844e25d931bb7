// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | filecheck %s
//
// A block of 8 filters, one FKR group (filter_groups = [0]), all 8 with one kernel list
// (channel 0, pattern p0; different weights). The shared nest runs it as two sub-groups of
// SHARED_GROUP = 4 filters, not one group of 8: the groups loop steps by 4, each kernel
// loop carries 4 accumulators (a block of 512 made 512 and never finished compiling; 8
// and 16 run slower than 4, docs/performance.md "Large blocks").

builtin.module {
  func.func @layer(%x: tensor<1x1x4x8xf32>) -> tensor<1x8x4x8xf32> {
    %offset = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8]> : tensor<9xi32>
    %reorder = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : tensor<8xi32>
    %index = arith.constant dense<0> : tensor<8xi32>
    %stride = arith.constant dense<[[0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1]]> : tensor<8x2xi32>
    %weight = arith.constant dense<1.0> : tensor<8x4xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_groups = array<i64: 0>} : (tensor<1x1x4x8xf32>, tensor<9xi32>, tensor<8xi32>, tensor<8xi32>, tensor<8x2xi32>, tensor<8x4xf32>) -> tensor<1x8x4x8xf32>
    func.return %y : tensor<1x8x4x8xf32>
  }
}

// CHECK:       [[FOUR:%[0-9]+]] = arith.constant 4 : index
// CHECK:       scf.for %j = {{%[0-9]+}} to {{%[0-9]+}} step [[FOUR]] {
// CHECK:         scf.for %oh
// CHECK:           scf.for %ow
// CHECK:             [[A0:%[0-9]+]], [[A1:%[0-9]+]], [[A2:%[0-9]+]], [[A3:%[0-9]+]] = scf.for %k = {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// Each tap: one input vector, 4 FMAs (one per filter of the sub-group).
// CHECK:               [[V:%[0-9]+]] = vector.load %padded
// CHECK-NEXT:          vector.broadcast
// CHECK-NEXT:          vector.fma [[V]]
// CHECK-NEXT:          vector.broadcast
// CHECK-NEXT:          vector.fma [[V]]
// CHECK-NEXT:          vector.broadcast
// CHECK-NEXT:          vector.fma [[V]]
// CHECK-NEXT:          vector.broadcast
// CHECK-NEXT:          vector.fma [[V]]
// CHECK-NEXT:          memref.load %weight
// CHECK:               scf.yield {{.*}} : vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>
// CHECK-NEXT:        } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}
// CHECK-NEXT:        vector.store [[A0]]
// CHECK-NEXT:        vector.store [[A1]]
// CHECK-NEXT:        vector.store [[A2]]
// CHECK-NEXT:        vector.store [[A3]]
// CHECK-NEXT:      } {pat.loop = "cols", pat.group = 4 : i64}
// CHECK-NEXT:    } {pat.loop = "rows", pat.group = 4 : i64}
// CHECK-NEXT:  } {pat.loop = "groups", pat.group = 4 : i64, nn.layer = {{.*}}}
