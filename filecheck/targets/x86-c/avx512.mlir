// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=16},plan-buffers,parallelize,layout-weights" -t x86-c | filecheck %s

// vector<16xf32> is AVX-512's __m512 (a 1x1 conv over a row of 16: one vector, no remainder;
// the input is packed into a 2 x 16 panel first, the 128-byte workspace).

builtin.module {
  func.func @pointwise(%x: tensor<1x2x1x16xf32> {nn.name = "input"}) -> (tensor<1x2x1x16xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.25> : tensor<2x2x1x1xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x1x16xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x1x16xf32>
    func.return %y : tensor<1x2x1x16xf32>
  }
}

// CHECK:      static void layer0_y(const float *restrict input, float *restrict output, float *restrict panel, const unsigned char *weights, int nthreads)
// CHECK:          _mm512_loadu_ps(
// CHECK:          _mm512_storeu_ps(panel + {{.*}}, {{.*}});
// CHECK:          _mm512_set1_ps(
// CHECK:          _mm512_fmadd_ps(
// CHECK:          _mm512_storeu_ps({{.*}} + o * 16, {{.*}});
// CHECK:      size_t patcc_workspace_bytes(void) { return 128; }
