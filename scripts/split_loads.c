/* Split loads on AVX-512 (docs/performance.md, "Narrow rows as one wide row"): a per-filter
 * pattern-conv kernel loop (a 7x7 wide row: 4 vectors of 16, 4 taps at flat shifts 0, 1, 9,
 * 10, channels picked by an index table from a 64-byte aligned 96-float plane each, all in
 * L1), with 8 FMA chains (taps 0-1 and 2-3 accumulated apart, so the FMA latency does not
 * bound it), timed as patcc's taps load (the 12 loads of shifts 1, 9 and 10 straddle two
 * cache lines, the 4 of shift 0 do not) and with the same number of loads all aligned.
 * Nanoseconds per kernel (16 FMAs, 16 vector loads), 3 rounds of 200 x 4096 kernels, one
 * thread.
 *
 *   gcc -O2 -mavx512f scripts/split_loads.c -o /tmp/split_loads && /tmp/split_loads
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
__attribute__((noipa)) __m512 run(const float *x, const float *w, const int *idx, int n, int off) {
  __m512 a0=_mm512_setzero_ps(),a1=a0,a2=a0,a3=a0,b0=a0,b1=a0,b2=a0,b3=a0;
  for (int k=0;k<n;k++){
    const float *p = x + idx[k]*96 + off;
    __m512 w0=_mm512_set1_ps(w[4*k]),w1=_mm512_set1_ps(w[4*k+1]),w2=_mm512_set1_ps(w[4*k+2]),w3=_mm512_set1_ps(w[4*k+3]);
    a0=_mm512_fmadd_ps(_mm512_loadu_ps(p),w0,a0); a1=_mm512_fmadd_ps(_mm512_loadu_ps(p+16),w0,a1);
    a2=_mm512_fmadd_ps(_mm512_loadu_ps(p+32),w0,a2); a3=_mm512_fmadd_ps(_mm512_loadu_ps(p+48),w0,a3);
    a0=_mm512_fmadd_ps(_mm512_loadu_ps(p+1),w1,a0); a1=_mm512_fmadd_ps(_mm512_loadu_ps(p+17),w1,a1);
    a2=_mm512_fmadd_ps(_mm512_loadu_ps(p+33),w1,a2); a3=_mm512_fmadd_ps(_mm512_loadu_ps(p+49),w1,a3);
    b0=_mm512_fmadd_ps(_mm512_loadu_ps(p+9),w2,b0); b1=_mm512_fmadd_ps(_mm512_loadu_ps(p+25),w2,b1);
    b2=_mm512_fmadd_ps(_mm512_loadu_ps(p+41),w2,b2); b3=_mm512_fmadd_ps(_mm512_loadu_ps(p+57),w2,b3);
    b0=_mm512_fmadd_ps(_mm512_loadu_ps(p+10),w3,b0); b1=_mm512_fmadd_ps(_mm512_loadu_ps(p+26),w3,b1);
    b2=_mm512_fmadd_ps(_mm512_loadu_ps(p+42),w3,b2); b3=_mm512_fmadd_ps(_mm512_loadu_ps(p+58),w3,b3);
  }
  return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0,a1),_mm512_add_ps(a2,a3)),_mm512_add_ps(_mm512_add_ps(b0,b1),_mm512_add_ps(b2,b3)));
}
__attribute__((noipa)) __m512 run_al(const float *x, const float *w, const int *idx, int n) {
  __m512 a0=_mm512_setzero_ps(),a1=a0,a2=a0,a3=a0,b0=a0,b1=a0,b2=a0,b3=a0;
  for (int k=0;k<n;k++){
    const float *p = x + idx[k]*96;
    __m512 w0=_mm512_set1_ps(w[4*k]),w1=_mm512_set1_ps(w[4*k+1]),w2=_mm512_set1_ps(w[4*k+2]),w3=_mm512_set1_ps(w[4*k+3]);
    a0=_mm512_fmadd_ps(_mm512_load_ps(p),w0,a0); a1=_mm512_fmadd_ps(_mm512_load_ps(p+16),w0,a1);
    a2=_mm512_fmadd_ps(_mm512_load_ps(p+32),w0,a2); a3=_mm512_fmadd_ps(_mm512_load_ps(p+48),w0,a3);
    a0=_mm512_fmadd_ps(_mm512_load_ps(p+16),w1,a0); a1=_mm512_fmadd_ps(_mm512_load_ps(p+32),w1,a1);
    a2=_mm512_fmadd_ps(_mm512_load_ps(p+48),w1,a2); a3=_mm512_fmadd_ps(_mm512_load_ps(p+64),w1,a3);
    b0=_mm512_fmadd_ps(_mm512_load_ps(p+32),w2,b0); b1=_mm512_fmadd_ps(_mm512_load_ps(p+48),w2,b1);
    b2=_mm512_fmadd_ps(_mm512_load_ps(p+64),w2,b2); b3=_mm512_fmadd_ps(_mm512_load_ps(p+80),w2,b3);
    b0=_mm512_fmadd_ps(_mm512_load_ps(p),w3,b0); b1=_mm512_fmadd_ps(_mm512_load_ps(p+16),w3,b1);
    b2=_mm512_fmadd_ps(_mm512_load_ps(p+32),w3,b2); b3=_mm512_fmadd_ps(_mm512_load_ps(p+48),w3,b3);
  }
  return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0,a1),_mm512_add_ps(a2,a3)),_mm512_add_ps(_mm512_add_ps(b0,b1),_mm512_add_ps(b2,b3)));
}
int main(){
  int C=64, n=4096; float *x=aligned_alloc(64, C*96*4+4096); float *w=malloc(n*16); int *idx=malloc(n*4);
  for(int i=0;i<C*96+1000;i++) x[i]=i%7*0.1f; for(int i=0;i<n*4;i++) w[i]=0.001f*(i%5);
  srand(1); for(int k=0;k<n;k++) idx[k]=rand()%C;
  float s=0;
  for(int rep=0;rep<3;rep++){
    double t0=now(); for(int r=0;r<200;r++){__m512 v=run(x,w,idx,n,0); s+=_mm512_reduce_add_ps(v);} double t1=now();
    for(int r=0;r<200;r++){__m512 v=run_al(x,w,idx,n); s+=_mm512_reduce_add_ps(v);} double t2=now();
    double per=1e9/(200.0*n);
    printf("misaligned %.2f ns/kernel, aligned %.2f ns/kernel\n",(t1-t0)*per,(t2-t1)*per);
  }
  return s==1234.5;
}
