# The layers as build targets: each source folder is one static library, linked to the layers
# it names and to nothing above them. hearth_check_layers() then checks every file's
# #include "..." lines at build time against the folders of those layers (transitively), so an
# upward or sideways include fails the build with the file, the header and the layers allowed.
# Not here: which layers exist and what they depend on (the table in the top CMakeLists.txt).

# hearth_layer(NAME DIRS dir... [DEPS layer...] [LIBS lib...] [PRIVATE_LIBS lib...]
#              [EXCLUDE regex...] [NO_LIBRARY])
#   Declares layer NAME over the folders DIRS (relative to the source root). Layers are
#   declared bottom-up: every DEPS entry must already be declared. Builds the library
#   hearth_NAME from the folders' *.cpp files (recursively; minus EXCLUDE matches), unless
#   NO_LIBRARY (a layer whose files belong to an executable) or no source is left (a layer
#   for another CPU family).
function(hearth_layer name)
  cmake_parse_arguments(L "NO_LIBRARY" "" "DIRS;DEPS;LIBS;PRIVATE_LIBS;EXCLUDE" ${ARGN})
  set(allowed ${L_DIRS})
  foreach(dep ${L_DEPS})
    get_property(known GLOBAL PROPERTY HEARTH_LAYER_ALLOWED_${dep} SET)
    if(NOT known)
      message(FATAL_ERROR "layer ${name}: depends on '${dep}', which is not declared before it "
                          "(layers are declared bottom-up)")
    endif()
    get_property(dep_allowed GLOBAL PROPERTY HEARTH_LAYER_ALLOWED_${dep})
    list(APPEND allowed ${dep_allowed})
  endforeach()
  list(REMOVE_DUPLICATES allowed)
  set_property(GLOBAL PROPERTY HEARTH_LAYER_ALLOWED_${name} "${allowed}")
  set_property(GLOBAL PROPERTY HEARTH_LAYER_DIRS_${name} "${L_DIRS}")
  set_property(GLOBAL APPEND PROPERTY HEARTH_LAYERS ${name})

  if(L_NO_LIBRARY)
    return()
  endif()
  set(sources)
  foreach(dir ${L_DIRS})
    file(GLOB_RECURSE found CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.cpp)
    list(APPEND sources ${found})
  endforeach()
  foreach(regex ${L_EXCLUDE})
    list(FILTER sources EXCLUDE REGEX "${regex}")
  endforeach()
  if(NOT sources)
    return()
  endif()
  add_library(hearth_${name} STATIC ${sources})
  foreach(dep ${L_DEPS})
    if(TARGET hearth_${dep})
      target_link_libraries(hearth_${name} PUBLIC hearth_${dep})
    endif()
  endforeach()
  target_link_libraries(hearth_${name} PUBLIC ${L_LIBS} PRIVATE ${L_PRIVATE_LIBS})
endfunction()

# The folders of every layer declared so far, into the variable named OUT.
function(hearth_all_layer_dirs out)
  get_property(layers GLOBAL PROPERTY HEARTH_LAYERS)
  set(all_dirs)
  foreach(layer ${layers})
    get_property(dirs GLOBAL PROPERTY HEARTH_LAYER_DIRS_${layer})
    list(APPEND all_dirs ${dirs})
  endforeach()
  set(${out} "${all_dirs}" PARENT_SCOPE)
endfunction()

# Adds the include check of every declared layer; call once, after the last hearth_layer().
# Each layer's check runs before its library (or the executable that owns its files) builds,
# and again whenever one of its files changes.
function(hearth_check_layers)
  get_property(layers GLOBAL PROPERTY HEARTH_LAYERS)
  hearth_all_layer_dirs(all_dirs)
  set(check_script ${PROJECT_SOURCE_DIR}/cmake/check_layer_includes.cmake)
  foreach(layer ${layers})
    get_property(dirs GLOBAL PROPERTY HEARTH_LAYER_DIRS_${layer})
    get_property(allowed GLOBAL PROPERTY HEARTH_LAYER_ALLOWED_${layer})
    set(files)
    foreach(dir ${dirs})
      file(GLOB_RECURSE found CONFIGURE_DEPENDS
        ${PROJECT_SOURCE_DIR}/${dir}/*.h ${PROJECT_SOURCE_DIR}/${dir}/*.cpp ${PROJECT_SOURCE_DIR}/${dir}/*.inc)
      list(APPEND files ${found})
    endforeach()
    set(spec ${PROJECT_BINARY_DIR}/layers/${layer}.cmake)
    set(stamp ${PROJECT_BINARY_DIR}/layers/${layer}.checked)
    file(CONFIGURE OUTPUT ${spec} CONTENT
"set(LAYER \"${layer}\")
set(FILES \"${files}\")
set(ALLOWED \"${allowed}\")
set(LAYER_DIRS \"${all_dirs}\")
set(ROOT \"${PROJECT_SOURCE_DIR}\")
")
    add_custom_command(OUTPUT ${stamp}
      COMMAND ${CMAKE_COMMAND} -DSPEC=${spec} -P ${check_script}
      COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
      DEPENDS ${files} ${spec} ${check_script}
      COMMENT "Checking that layer ${layer} includes only the layers below it"
      VERBATIM)
    add_custom_target(hearth_${layer}_layer_check DEPENDS ${stamp})
    if(TARGET hearth_${layer})
      add_dependencies(hearth_${layer} hearth_${layer}_layer_check)
    endif()
  endforeach()
endfunction()
