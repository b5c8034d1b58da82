# hearth_app: the pipelines above the architectures (layering: tools -> app -> models):
# src/convert/ (hearth convert: policy, calibration, quantize, write .hearth) and src/verify/
# (hearth verify: reference vs model metrics). Included from the top CMakeLists.txt after models/.
file(GLOB HEARTH_APP_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_LIST_DIR}/convert/*.cpp
  ${CMAKE_CURRENT_LIST_DIR}/verify/*.cpp)
add_library(hearth_app STATIC ${HEARTH_APP_SOURCES})
target_link_libraries(hearth_app PUBLIC hearth_models OpenMP::OpenMP_CXX)
