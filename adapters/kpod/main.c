/* kpod: the command-line client of crio's REST API. Everything but main()
 * lives in kpod_lib so that tests can link it. */
#include "adapters/kpod/cli.h"

int main(int argc, char **argv)
{
  return kpod_main(argc, argv);
}
