# bench/variants/weft-knobs.sh — the weft-pair variant with one runtime knob each, so one harness
# run compares them under the same conditions (see bench/README.md, "Knobs"). Requires weft-pair.sh
# (same directory; the harness sources every *.sh file here). Every knob applies to both sidecars,
# on top of DOTNET_PROCESSOR_COUNT=1. Hex values are what the runtime expects for GC sizes.
#
#   VARIANTS="direct nginx-pair weft-pair weft-wks weft-wks-nc weft-gen0 weft-hardlimit weft-nopgo \
#             weft-notiered weft-affinity weft-r2r weft-best" ...

variant_weft_wks()       { weft_pair_start jit DOTNET_gcServer=0; }                            # Workstation GC (concurrent)
variant_weft_wks_nc()    { weft_pair_start jit DOTNET_gcServer=0 DOTNET_gcConcurrent=0; }      # Workstation, no background GC thread
variant_weft_gen0()      { weft_pair_start jit DOTNET_gcServer=0 DOTNET_GCgen0size=0x400000; } # Workstation, 4 MiB gen0 budget
variant_weft_hardlimit() { weft_pair_start jit DOTNET_GCHeapHardLimit=0x4000000; }             # Server GC, 64 MiB heap limit
variant_weft_nopgo()     { weft_pair_start jit DOTNET_TieredPGO=0; }                           # no dynamic PGO
variant_weft_notiered()  { weft_pair_start jit DOTNET_TieredCompilation=0; }                   # fully optimised JIT at once
variant_weft_affinity()  { weft_pair_start jit DOTNET_GCHeapAffinitizeMask=0x1; }              # Server GC heap pinned to CPU 0
variant_weft_r2r()       { weft_pair_start r2r; }                                              # ReadyToRun build, defaults
# The candidate from the measurements (bench/README.md, "Knobs"): the RSS cut of a bounded gen0;
# not yet confirmed on a quiet machine to cost no latency.
variant_weft_best()      { weft_pair_start jit DOTNET_gcServer=0 DOTNET_GCgen0size=0x400000; }
