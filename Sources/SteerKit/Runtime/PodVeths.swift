/// The node-side interface of each pod, matched by ifindex whatever the CNI named it
/// (cali*, veth*, lxc*, …): a veth's `iflink` is its peer's ifindex, so the node interface
/// whose ifindex is the pod's eth0 `iflink`, and whose own `iflink` is the pod's eth0
/// ifindex, is the pod's other end. Both directions must agree: an ifindex alone is only
/// unique within one namespace.
public enum PodVeths {
    /// Node interface name → pod namespace name, for every pod interface (but lo) whose
    /// peer is in `node`.
    public static func match(node: NetnsView, pods: [NetnsView]) -> [String: String] {
        var nodeByIndex: [Int: (name: String, iflink: Int)] = [:]
        for name in node.interfaceNames() where name != "lo" && (try? Names.checkInterface(name)) != nil {
            guard let index = number(node, name, "ifindex"), let link = number(node, name, "iflink") else { continue }
            nodeByIndex[index] = (name, link)
        }
        var out: [String: String] = [:]
        for pod in pods {
            for name in pod.interfaceNames() where name != "lo" && (try? Names.checkInterface(name)) != nil {
                guard let index = number(pod, name, "ifindex"), let link = number(pod, name, "iflink"), link != index,
                      let peer = nodeByIndex[link], peer.iflink == index else { continue }
                out[peer.name] = pod.name
            }
        }
        return out
    }

    static func number(_ view: NetnsView, _ iface: String, _ attribute: String) -> Int? {
        guard let f = try? view.open("class/net/\(iface)/\(attribute)"), let text = try? f.readAttributeText() else { return nil }
        return Int(text)
    }
}

/// Who the pods of a node are: their names from the runtime (or kubectl) and their
/// node-side interfaces, looked up together when the set of namespaces changes.
public struct PodDirectory: Sendable, Equatable {
    /// Pod namespace name → "namespace/pod".
    public var names: [String: String] = [:]
    /// Node interface → pod namespace name.
    public var veths: [String: String] = [:]
    /// Why names could not be had (one line), if they could not.
    public var problem: String?

    public init(names: [String: String] = [:], veths: [String: String] = [:], problem: String? = nil) {
        self.names = names; self.veths = veths; self.problem = problem
    }

    /// "namespace/pod" (or the netns name) of the pod behind a node interface.
    public func pod(ofNodeInterface iface: String) -> String? {
        veths[iface].map { names[$0] ?? $0 }
    }

    /// Looks the pods up: names from containerd at `socket` (then kubectl, where it is
    /// installed), node-side interfaces by ifindex.
    public static func lookUp(node: String, pods: [String], netnsDirectory: String = "/var/run/netns",
                              socket: String = ContainerRuntime.defaultSocket) -> PodDirectory {
        var dir = PodDirectory()
        guard !pods.isEmpty else { return dir }
        switch ContainerRuntime.pods(socket: socket) {
        case .success(let found):
            for ns in pods { if let p = found[ns] { dir.names[ns] = p.label } }
        case .failure(let e):
            dir.problem = e.description
            if Command.exists("kubectl") { dir.names = PodNames.resolve(netns: pods) }
        }
        let nodeView = node.isEmpty ? try? NetnsView(hostRoot: "/") : try? NetnsView(named: node, directory: netnsDirectory)
        if let nodeView {
            let views = pods.compactMap { try? NetnsView(named: $0, directory: netnsDirectory) }
            dir.veths = PodVeths.match(node: nodeView, pods: views)
        }
        return dir
    }
}
