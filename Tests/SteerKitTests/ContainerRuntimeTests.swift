import Testing
import SteerKit

/// `ctr containers info` output captured from containerd 1.6.20 (Debian 12) for a sandbox
/// made through CRI; the hostNetwork one is the same with its network namespace taken out.
@Suite struct ContainerRuntimeTests {
    func fixture(_ name: String) throws -> String {
        try LibC.readText(fixturesDirectory() + "/containerd/" + name).get()
    }

    @Test func aSandboxGivesItsPodNameAndNetns() throws {
        let pod = try ContainerRuntime.parseInfo(try fixture("ctr-containers-info-sandbox.json"))
        #expect(pod == RuntimePod(namespace: "steer-test", name: "pod1", netns: "cni-54f2bc4b-32e4-333a-e445-abc1ae3ef22b"))
        #expect(pod?.label == "steer-test/pod1")
    }

    @Test func aHostNetworkSandboxHasNoPodNamespace() throws {
        #expect(try ContainerRuntime.parseInfo(try fixture("ctr-containers-info-hostnetwork.json")) == nil)
    }

    @Test func notJSONIsOneLine() {
        #expect(throws: SteerError.invalid("ctr containers info printed no JSON")) {
            try ContainerRuntime.parseInfo("ctr: container \"x\" not found")
        }
    }

    @Test func aMissingSocketSaysWhatToDo() {
        guard case .failure(let e) = ContainerRuntime.pods(socket: "/nonexistent/containerd.sock") else {
            Issue.record("a missing socket must fail")
            return
        }
        #expect(e.description == "containerd's socket /nonexistent/containerd.sock does not exist: is containerd running on this node? (--runtime-endpoint names another socket)")
    }

    @Test func aFileThatIsNotASocketIsNamed() {
        guard case .failure(let e) = ContainerRuntime.pods(socket: "/proc/self/status") else {
            Issue.record("a regular file is not a socket")
            return
        }
        #expect(e.description.hasPrefix("/proc/self/status is not a socket"))
    }
}
