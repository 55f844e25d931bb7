// RUN: xdsl-opt %s -p "map-to-ndrange{max-dims=4}" --verify-diagnostics | filecheck %s

builtin.module {
}

// CHECK: map-to-ndrange: max-dims must be in [1, 3], got 4
