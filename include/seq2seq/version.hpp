// Library version; CMakeLists.txt reads these three lines.
#pragma once

#define SEQ2SEQ_VERSION_MAJOR 0
#define SEQ2SEQ_VERSION_MINOR 1
#define SEQ2SEQ_VERSION_PATCH 0
