/* A synthetic replica of a block-shared pattern-conv kernel loop (VGG-16's 56-wide layer,
 * pattern-only: 64 groups of 4 filters, 256 kept kernels per group in 8 ascending runs of
 * 32 channels, 16 accumulators = 4 filters x 4 vectors of 16 floats), timed in the loop
 * orders docs/performance.md compares ("Prefetching the next kernel's input rows"):
 *   A                for each row block, group, row: all kernels, accumulators in registers
 *                    (what patcc emitted before prefetch-next-kernel)
 *   A+prefetch       + the next kernel's 3 rows, 5 lines each (what the pass emits)
 *   A+pf per vector  + 2 hints per loaded vector's row instead (24 per kernel)
 *   B                pattern runs outside the rows, partial sums in the output
 *   B+pf row2 / 3    + a prefetch of the next kernel's third row / all three rows
 * Median of 15 runs each, twice; one thread, AVX-512.
 *
 *   gcc -O3 -mavx2 -mfma -mavx512f -mavx512vl scripts/kernel_loop_replica.c -o /tmp/replica
 *   /tmp/replica
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#define C 256
#define H 56
#define W 56
#define PW 58
#define CH (58*58)
#define NK 256      /* kernels per group (pattern-only) */
#define NP 8
#define G 64        /* groups of 4 filters */
static float *in, *out, *wt; static int32_t idx[G][NK]; static int dy[NP][4], dx[NP][4];
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static const int off[4]={0,16,32,40};
#define TAP(t) { const float *q = p + dy[pp][t]*PW + dx[pp][t]; \
  __m512 b0=_mm512_set1_ps(wk[t]),b1=_mm512_set1_ps(wk[NK*4+t]),b2=_mm512_set1_ps(wk[2*NK*4+t]),b3=_mm512_set1_ps(wk[3*NK*4+t]); \
  for (int v=0;v<4;v++){ __m512 x=_mm512_loadu_ps(q+off[v]); \
    a[v*4]=_mm512_fmadd_ps(x,b0,a[v*4]);a[v*4+1]=_mm512_fmadd_ps(x,b1,a[v*4+1]); \
    a[v*4+2]=_mm512_fmadd_ps(x,b2,a[v*4+2]);a[v*4+3]=_mm512_fmadd_ps(x,b3,a[v*4+3]);} }
/* A: for oh: for p: for k (accs in registers across patterns) */
__attribute__((noinline)) void runA(int pf){
  for (int ohb=0;ohb<H;ohb+=8) for (int g=0;g<G;g++) for (int oh=ohb;oh<ohb+8;oh++){
    __m512 a[16]; for(int i=0;i<16;i++) a[i]=_mm512_setzero_ps();
    for (int pp=0;pp<NP;pp++){
      for (int k=pp*(NK/NP);k<(pp+1)*(NK/NP);k++){
        const float *p = in + (size_t)idx[g][k]*CH + oh*PW;
        if (pf) { const float *n = in + (size_t)idx[g][k+1 < NK ? k+1 : k]*CH + oh*PW;
          if (pf==1) for (int r=0;r<3;r++){ _mm_prefetch((const char*)(n+r*PW),_MM_HINT_T0);_mm_prefetch((const char*)(n+r*PW+16),_MM_HINT_T0);_mm_prefetch((const char*)(n+r*PW+32),_MM_HINT_T0);_mm_prefetch((const char*)(n+r*PW+48),_MM_HINT_T0);_mm_prefetch((const char*)(n+r*PW+57),_MM_HINT_T0);}
          else for (int r=0;r<3;r++) for (int v=0;v<4;v++){ _mm_prefetch((const char*)(n+r*PW+off[v]),_MM_HINT_T0);_mm_prefetch((const char*)(n+r*PW+off[v]+17),_MM_HINT_T0);} }
        const float *wk = wt + (size_t)g*4*NK*4 + k*4;
        #pragma GCC unroll 4
        for (int t=0;t<4;t++) TAP(t)
      }
    }
    for (int f=0;f<4;f++) for (int v=0;v<4;v++) _mm512_storeu_ps(out + ((size_t)(g*4+f)*CH) + (oh+1)*PW + 1 + off[v], _mm512_max_ps(a[v*4+f],_mm512_setzero_ps()));
  }
}
/* B: for ohb: for p: for oh in block: acc = out (or 0); for k in run; store */
__attribute__((noinline)) void runB(int pf){
  for (int ohb=0;ohb<H;ohb+=8) for (int g=0;g<G;g++) for (int pp=0;pp<NP;pp++) for (int oh=ohb;oh<ohb+8;oh++){
    __m512 a[16]; float *o = out + (oh+1)*PW + 1;
    for (int f=0;f<4;f++) for (int v=0;v<4;v++) a[v*4+f] = pp==0 ? _mm512_setzero_ps() : _mm512_loadu_ps(o + (size_t)(g*4+f)*CH + off[v]);
    for (int k=pp*(NK/NP);k<(pp+1)*(NK/NP);k++){
      const float *p = in + (size_t)idx[g][k]*CH + oh*PW;
      if (pf) { const float *n = in + (size_t)idx[g][k+1 < NK ? k+1 : k]*CH + oh*PW + (pf==1 ? 2*PW : 0);
        for (int r=0;r<(pf==1?1:3);r++){ _mm_prefetch((const char*)(n+r*PW),_MM_HINT_T0);_mm_prefetch((const char*)(n+r*PW+16),_MM_HINT_T0);_mm_prefetch((const char*)(n+r*PW+32),_MM_HINT_T0);_mm_prefetch((const char*)(n+r*PW+48),_MM_HINT_T0);_mm_prefetch((const char*)(n+r*PW+57),_MM_HINT_T0);} }
      const float *wk = wt + (size_t)g*4*NK*4 + k*4;
      #pragma GCC unroll 4
      for (int t=0;t<4;t++) TAP(t)
    }
    if (pp==NP-1) for (int f=0;f<4;f++) for (int v=0;v<4;v++) _mm512_storeu_ps(o + (size_t)(g*4+f)*CH + off[v], _mm512_max_ps(a[v*4+f],_mm512_setzero_ps()));
    else for (int f=0;f<4;f++) for (int v=0;v<4;v++) _mm512_storeu_ps(o + (size_t)(g*4+f)*CH + off[v], a[v*4+f]);
  }
}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(){
  in=aligned_alloc(64,(size_t)C*CH*4+256); out=aligned_alloc(64,(size_t)C*CH*4+256); wt=aligned_alloc(64,(size_t)G*4*NK*4*4);
  for (size_t i=0;i<(size_t)C*CH;i++){in[i]=(i%13)*0.01f; out[i]=0;}
  for (size_t i=0;i<(size_t)G*4*NK*4;i++) wt[i]=(i%7)*0.1f-0.3f;
  srand(1);
  for (int g=0;g<G;g++){ int perm[C]; for(int i=0;i<C;i++)perm[i]=i; for(int i=C-1;i>0;i--){int j=rand()%(i+1);int t=perm[i];perm[i]=perm[j];perm[j]=t;}
    /* runs of 32 ascending channels */ for(int pp=0;pp<NP;pp++){ int *r=perm+pp*32; for(int i=0;i<32;i++)for(int j=i+1;j<32;j++) if(r[j]<r[i]){int t=r[i];r[i]=r[j];r[j]=t;} }
    for(int k=0;k<NK;k++) idx[g][k]=perm[k]; }
  int pats[NP][4][2]={{{1,1},{0,1},{1,0},{1,2}},{{1,1},{0,0},{0,1},{2,1}},{{1,1},{1,2},{2,2},{0,1}},{{1,1},{2,0},{2,1},{1,0}},{{1,1},{0,2},{1,2},{2,1}},{{1,1},{0,0},{1,0},{2,2}},{{1,1},{2,1},{2,2},{1,0}},{{1,1},{0,1},{0,2},{2,0}}};
  for(int pp=0;pp<NP;pp++)for(int t=0;t<4;t++){dy[pp][t]=pats[pp][t][0];dx[pp][t]=pats[pp][t][1];}
  const char*nm[6]={"A+pf per vector","A regs","A+prefetch","B interchanged","B+pf row2","B+pf 3 rows"};
  for (int rep=0;rep<2;rep++) for (int v=-1;v<5;v++){ double ts[15];
    for(int r=0;r<15;r++){double t0=now(); if(v==-1)runA(2); else if(v==0)runA(0); else if(v==1)runA(1); else runB(v-2); ts[r]=now()-t0;}
    qsort(ts,15,sizeof(double),cmp); double s=0; for(size_t i=0;i<(size_t)C*CH;i+=7)s+=out[i];
    printf("%-16s %.2f ms  %.1f GFLOP/s  (chk %g)\n", nm[v+1], ts[7]*1e3, 2.0*H*W*C*NK*4/ts[7]*1e-9, s); }
}
