# gw_datapath: the eBPF datapath shell (datapath.c is the only libbpf user). The
# programs and their skeleton come from bpf/ (target gw_bpf_skel).
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
file(GLOB DP_EXTRA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/dp_*.c)
add_library(gw_datapath STATIC ${CMAKE_CURRENT_SOURCE_DIR}/datapath.c ${DP_EXTRA_SOURCES})
add_dependencies(gw_datapath gw_bpf_gen)
target_include_directories(gw_datapath PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(gw_datapath PUBLIC gw_core gw_bpf_skel PkgConfig::LIBBPF)
