import Testing
import SteerKit

/// deploy/'s manifests against the Kubernetes API schema, offline (PyPI kubernetes-validate
/// carries the schemas; .ci/setup installs it).
@Suite(.enabled(if: Command.exists("kubernetes-validate"), "kubernetes-validate is not installed: run .ci/setup"))
struct DeployTests {
    let manifest = repositoryRoot + "/deploy/steertop.yaml"

    func validate(_ path: String) throws -> CommandOutput {
        try Command.run(["kubernetes-validate", "--strict", "-k", "1.30.0", path], timeout: 120)
    }

    @Test func theDaemonSetMatchesTheSchema() throws {
        let r = try validate(manifest)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("passed for resource daemonset/steertop"))
    }

    /// The validator is not a rubber stamp: the same manifest with one wrong type fails.
    @Test func aBrokenManifestFails() throws {
        let dir = TemporaryDirectory()
        let text = try LibC.readText(manifest).get()
        #expect(text.contains("hostNetwork: true"))
        let broken = dir.write("broken.yaml", text.replacing("hostNetwork: true", with: "hostNetwork: sometimes"))
        #expect(try validate(broken).status != 0)
    }
}
