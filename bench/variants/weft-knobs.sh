# bench/variants/weft-knobs.sh — the weft-pair variant with one runtime knob each, so one harness
# run compares them under the same conditions (see bench/README.md, "Knobs"). Requires weft-pair.sh
# (same directory; the harness sources every *.sh file here). Every knob applies to both sidecars,
# on top of DOTNET_PROCESSOR_COUNT=1. Hex values are what the runtime expects for GC sizes.
#
#   VARIANTS="direct nginx-pair weft-pair weft-wks weft-wks-nc weft-gen0 weft-hardlimit weft-conserve \
#             weft-nopgo weft-notiered weft-affinity weft-r2r weft-best" ...
#   VARIANTS="direct nginx-pair weft-pair weft-aot weft-aot-gen0 weft-aotp weft-aotp-server weft-aotp-wks \
#             weft-aotp-wks-nc weft-aotp-gen0 weft-aotp-gen0-nc weft-aotp-gen0-1m weft-aotp-gen0-nospin \
#             weft-aotp-gen0-inline weft-aotp-hardlimit weft-aotp-conserve weft-inline weft-aotp-inline \
#             weft-aotp-inline-inv" ...

variant_weft_wks()       { weft_pair_start jit DOTNET_gcServer=0; }                            # Workstation GC (concurrent)
variant_weft_wks_nc()    { weft_pair_start jit DOTNET_gcServer=0 DOTNET_gcConcurrent=0; }      # Workstation, no background GC thread
variant_weft_gen0()      { weft_pair_start jit DOTNET_gcServer=0 DOTNET_GCgen0size=0x400000; } # Workstation, 4 MiB gen0 budget
variant_weft_hardlimit() { weft_pair_start jit DOTNET_GCHeapHardLimit=0x4000000; }             # Server GC, 64 MiB heap limit
variant_weft_conserve()   { weft_pair_start jit DOTNET_GCConserveMemory=5; }                  # Server GC, compact more to save memory
variant_weft_nopgo()     { weft_pair_start jit DOTNET_TieredPGO=0; }                           # no dynamic PGO
variant_weft_notiered()  { weft_pair_start jit DOTNET_TieredCompilation=0; }                   # fully optimised JIT at once
variant_weft_affinity()  { weft_pair_start jit DOTNET_GCHeapAffinitizeMask=0x1; }              # Server GC heap pinned to CPU 0
variant_weft_r2r()       { weft_pair_start r2r; }                                              # ReadyToRun build, defaults
# NativeAOT builds (weft-pair.sh: aot = the whole CLI, aot-proxy = src/Weft.ProxyAot, the proxy
# alone): no JIT, no tiering. GC sizes as bare hex (NativeAOT ignores a 0x prefix, see weft-pair.sh).
# weft-proxy has Workstation GC and a 4 MiB gen0 embedded (its csproj); the variants below that
# measure other GC settings undo that explicitly (gcServer=1, GCgen0size=0 = the runtime's default).
variant_weft_aot()             { weft_pair_start aot; }                                                 # CLI, defaults (Server GC, DATAS)
variant_weft_aot_gen0()        { weft_pair_start aot DOTNET_gcServer=0 DOTNET_GCgen0size=400000; }      # CLI, Workstation, 4 MiB gen0
variant_weft_aotp()            { weft_pair_start aot-proxy; }                                           # proxy alone, its embedded defaults
variant_weft_aotp_server()     { weft_pair_start aot-proxy DOTNET_gcServer=1 DOTNET_GCgen0size=0; }     # Server GC, DATAS (the Web SDK's default)
variant_weft_aotp_wks()        { weft_pair_start aot-proxy DOTNET_gcServer=0 DOTNET_GCgen0size=0; }     # Workstation GC, default gen0
variant_weft_aotp_wks_nc()     { weft_pair_start aot-proxy DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_GCgen0size=0; } # Workstation, non-concurrent
variant_weft_aotp_gen0()       { weft_pair_start aot-proxy DOTNET_gcServer=0 DOTNET_GCgen0size=400000; } # Workstation, 4 MiB gen0 (= embedded)
variant_weft_aotp_gen0_nc()    { weft_pair_start aot-proxy DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_GCgen0size=400000; }
variant_weft_aotp_gen0_1m()    { weft_pair_start aot-proxy DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_GCgen0size=100000; } # 1 MiB gen0
# ...plus no spinning of idle thread-pool workers before they sleep (perf: sched_yield from spin-waits)
variant_weft_aotp_gen0_nospin() { weft_pair_start aot-proxy DOTNET_gcServer=0 DOTNET_GCgen0size=400000 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0; }
# ...plus socket completions run on the epoll thread instead of being queued to the thread pool (measured
# before Kestrel followed that switch; since InlineIo it is the same as weft-aotp-inline below)
variant_weft_aotp_gen0_inline() { weft_pair_start aot-proxy DOTNET_gcServer=0 DOTNET_GCgen0size=400000 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1; }
variant_weft_aotp_hardlimit()  { weft_pair_start aot-proxy DOTNET_gcServer=1 DOTNET_GCgen0size=0 DOTNET_GCHeapHardLimit=2000000; } # Server GC, 32 MiB limit
variant_weft_aotp_conserve()   { weft_pair_start aot-proxy DOTNET_gcServer=1 DOTNET_GCgen0size=0 DOTNET_GCConserveMemory=5; }       # Server GC, conserve memory
# Event-loop I/O (src/Weft.Proxy/Hosting/InlineIo.cs): socket completions on the epoll thread, and
# Kestrel, which follows that switch, runs requests there too.
variant_weft_inline()      { weft_pair_start jit DOTNET_gcServer=0 DOTNET_GCgen0size=400000 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1; } # what `weft up` runs
variant_weft_aotp_inline() { weft_pair_start aot-proxy DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1; }
# The candidate from the measurements (bench/README.md, "Knobs"): the RSS cut of a bounded gen0;
# not yet confirmed on a quiet machine to cost no latency.
variant_weft_best()      { weft_pair_start jit DOTNET_gcServer=0 DOTNET_GCgen0size=0x400000; }
# ...plus culture-invariant globalization (no ICU loaded; measured: no lower RSS, bench/README.md)
variant_weft_aotp_inline_inv() { weft_pair_start aot-proxy DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1; }
# The same two with Weft's HTTP/1.1 engine switched off (WEFT_HTTP1_ENGINE=off): every request on
# the Kestrel/YARP/HttpClient path, as before the engine — for same-run comparisons.
variant_weft_inline_yarp()      { weft_pair_start jit DOTNET_gcServer=0 DOTNET_GCgen0size=400000 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 WEFT_HTTP1_ENGINE=off; }
variant_weft_aotp_inline_yarp() { weft_pair_start aot-proxy DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 WEFT_HTTP1_ENGINE=off; }
