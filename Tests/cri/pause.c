/* The pod sandbox's process, as Kubernetes' pause: holds the pod's namespaces and sleeps
 * until SIGTERM or SIGINT. Built with `gcc -static` by Tests/cri/kubelet.py. */
#include <signal.h>
#include <unistd.h>

static void quit(int sig) { (void)sig; _exit(0); }

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = quit;
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGINT, &sa, 0);
    for (;;) pause();
}
