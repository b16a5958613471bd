# report_assets.cmake: the HTML reports' front end, built into the binary.
# plotly.js comes from the npm registry (web/package-lock.json pins it); it is
# installed into the build tree (never the source tree, so build folders do
# not race) and embedded with the report template by an .incbin assembler
# file: no generated 5 MB C++ array to compile, so it costs no compile time.
enable_language(ASM)
# A cross build (cmake/toolchains/) embeds a host build's plotly.min.js instead
# of running npm again (no npm in the target's sysroot):
#   -DTINYAD_PLOTLY_JS_FROM=<host build>/web/node_modules/plotly.js-dist-min/plotly.min.js
set(TINYAD_PLOTLY_JS_FROM "" CACHE FILEPATH "an existing plotly.min.js to embed instead of running npm")
if(TINYAD_PLOTLY_JS_FROM AND NOT EXISTS "${TINYAD_PLOTLY_JS_FROM}")
  message(FATAL_ERROR "TINYAD_PLOTLY_JS_FROM: no file ${TINYAD_PLOTLY_JS_FROM} "
                      "(expected a host build's web/node_modules/plotly.js-dist-min/plotly.min.js)")
endif()
find_program(TINYAD_NPM npm)
if(NOT TINYAD_NPM AND NOT TINYAD_PLOTLY_JS_FROM)
  message(FATAL_ERROR "npm not found: the HTML reports need plotly.js from the npm registry "
                      "(scripts/deps.sh demo installs Node.js and npm)")
endif()

set(TINYAD_WEB_BUILD ${CMAKE_BINARY_DIR}/web)
set(TINYAD_WEB_MODULES ${TINYAD_WEB_BUILD}/node_modules)
set(TINYAD_PLOTLY_JS ${TINYAD_WEB_MODULES}/plotly.js-dist-min/plotly.min.js)
set(TINYAD_NPM_STAMP ${TINYAD_WEB_BUILD}/npm-ci.stamp)
# The browser tests drive chromium with playwright-core, a devDependency.
if(TINYAD_BUILD_TESTS)
  set(TINYAD_NPM_OMIT "")
else()
  set(TINYAD_NPM_OMIT --omit=dev)
endif()

# npm gives installed files a fixed old mtime, so a stamp file marks the install.
add_custom_command(
  OUTPUT ${TINYAD_NPM_STAMP}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${TINYAD_WEB_BUILD}
  COMMAND ${CMAKE_COMMAND} -E copy_if_different ${PROJECT_SOURCE_DIR}/web/package.json
          ${PROJECT_SOURCE_DIR}/web/package-lock.json ${TINYAD_WEB_BUILD}
  COMMAND ${TINYAD_NPM} ci --no-audit --no-fund --loglevel=error ${TINYAD_NPM_OMIT}
  COMMAND ${CMAKE_COMMAND} -E touch ${TINYAD_NPM_STAMP}
  WORKING_DIRECTORY ${TINYAD_WEB_BUILD}
  DEPENDS ${PROJECT_SOURCE_DIR}/web/package.json ${PROJECT_SOURCE_DIR}/web/package-lock.json
  COMMENT "npm ci: plotly.js for the HTML reports"
  VERBATIM)
if(TINYAD_PLOTLY_JS_FROM)
  # Nothing depends on npm's stamp then, so npm never runs.
  set(TINYAD_PLOTLY_JS ${TINYAD_PLOTLY_JS_FROM})
  set(TINYAD_NPM_STAMP ${TINYAD_PLOTLY_JS_FROM})
endif()
add_custom_target(tinyad_web_modules DEPENDS ${TINYAD_NPM_STAMP})

set(TINYAD_REPORT_TEMPLATE ${PROJECT_SOURCE_DIR}/web/report.html)
set(TINYAD_REPORT_JS ${PROJECT_SOURCE_DIR}/web/report.js)
# The live dashboard of `tinyad serve` (src/service/dashboard.cpp) rides along.
set(TINYAD_DASHBOARD_TEMPLATE ${PROJECT_SOURCE_DIR}/web/dashboard.html)
set(TINYAD_DASHBOARD_JS ${PROJECT_SOURCE_DIR}/web/dashboard.js)
set(TINYAD_REPORT_ASSETS_S ${CMAKE_BINARY_DIR}/report_assets.S)
configure_file(${PROJECT_SOURCE_DIR}/cmake/report_assets.S.in ${TINYAD_REPORT_ASSETS_S} @ONLY)
set_source_files_properties(${TINYAD_REPORT_ASSETS_S} PROPERTIES
  OBJECT_DEPENDS "${TINYAD_NPM_STAMP};${TINYAD_REPORT_TEMPLATE};${TINYAD_REPORT_JS};${TINYAD_DASHBOARD_TEMPLATE};${TINYAD_DASHBOARD_JS}")
