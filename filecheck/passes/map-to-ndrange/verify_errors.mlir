// RUN: xdsl-opt %s -p "map-to-ndrange{max-dims=4}" --verify-diagnostics | filecheck %s
// RUN: xdsl-opt %s -p "map-to-ndrange{local-size=-1}" --verify-diagnostics | filecheck %s --check-prefix=LOCAL
// RUN: xdsl-opt %s -p "map-to-ndrange{coarsen=0}" --verify-diagnostics | filecheck %s --check-prefix=COARSEN

builtin.module {
}

// CHECK: map-to-ndrange: max-dims must be in [1, 3], got 4
// LOCAL: map-to-ndrange: local-size must be >= 0, got -1
// COARSEN: map-to-ndrange: coarsen must be >= 1, got 0
