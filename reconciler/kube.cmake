# gw_kube: the Kubernetes client (libcurl lives in kube.c only), kubeconfig loading,
# the watch cache, leader election and the reconciler.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
find_package(Threads REQUIRED)
set(GW_KUBE_SOURCES kube.c kubeconfig.c kcache.c)
foreach(f lease.c reconcile.c)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${f})
    list(APPEND GW_KUBE_SOURCES ${f})
  endif()
endforeach()
add_library(gw_kube STATIC ${GW_KUBE_SOURCES})
target_include_directories(gw_kube PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/common)
target_link_libraries(gw_kube PUBLIC gw_io gw_core gw_certs gw_common PkgConfig::CURL PkgConfig::JANSSON
                      Threads::Threads)
