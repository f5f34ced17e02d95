import Testing
import SteerKit

@Suite struct CPUSetTests {
    @Test(arguments: [
        (1, "1"),
        (4, "f"),
        (33, "1,ffffffff"),
        (64, "ffffffff,ffffffff"),
        (96, "ffffffff,ffffffff,ffffffff"),
    ])
    func allCPUsMask(cpus: Int, mask: String) {
        let set = CPUSet(0..<cpus)
        #expect(set.mask(bits: cpus) == mask)
        #expect(CPUSet(mask: mask) == set)
        #expect(set.count == cpus)
    }

    @Test func masksAreWidthOfTheMachine() {
        // The kernel prints every cpumask over nr_cpu_ids bits.
        #expect(CPUSet([0, 1, 2, 3]).mask(bits: 96) == "00000000,00000000,0000000f")
        #expect(CPUSet().mask(bits: 96) == "00000000,00000000,00000000")
        #expect(CPUSet().mask(bits: 2) == "0")
        #expect(CPUSet([1]).mask(bits: 2) == "2")
        #expect(CPUSet([32]).mask(bits: 33) == "1,00000000")
        #expect(CPUSet([0, 63]).mask(bits: 64) == "80000000,00000001")
        #expect(CPUSet([5]).mask(bits: 6) == "20")
    }

    @Test func parsesKernelMasks() {
        #expect(CPUSet(mask: "00000000,00000000,0000000f")?.list == "0-3")
        #expect(CPUSet(mask: "0000000f\n")?.cpus == [0, 1, 2, 3])
        #expect(CPUSet(mask: "00000001,00000000")?.cpus == [32])
        #expect(CPUSet(mask: "0")?.isEmpty == true)
        #expect(CPUSet(mask: "xyz") == nil)
        #expect(CPUSet(mask: "123456789") == nil)  // a group wider than 32 bits
        #expect(CPUSet(mask: "") == nil)
        #expect(CPUSet(mask: "f,") == nil)
    }

    @Test func listsRoundTrip() {
        #expect(CPUSet(list: "0-2,5")?.cpus == [0, 1, 2, 5])
        #expect(CPUSet([0, 1, 2, 5, 7, 8]).list == "0-2,5,7-8")
        #expect(CPUSet(list: "")?.isEmpty == true)
        #expect(CPUSet(list: "3-1") == nil)
        #expect(CPUSet(list: "a") == nil)
        #expect(CPUSet(list: "0-") == nil)
        #expect(CPUSet(list: "0-2")!.isSubset(of: CPUSet(list: "0-3")!))
        #expect(!CPUSet(list: "0-4")!.isSubset(of: CPUSet(list: "0-3")!))
    }

    @Test func equalityIgnoresWidth() {
        #expect(CPUSet(mask: "00000000,0000000f") == CPUSet(mask: "f"))
        #expect(CPUSet(mask: "00000000,0000000f")!.hashValue == CPUSet(mask: "f")!.hashValue)
    }

    @Test func kernelRoundsFlowCounts() {
        #expect(kernelFlowCount(0) == 0)
        #expect(kernelFlowCount(1) == 1)
        #expect(kernelFlowCount(5000) == 8192)
        #expect(kernelFlowCount(32768) == 32768)
        #expect(kernelFlowCount(32769) == 65536)
    }
}
