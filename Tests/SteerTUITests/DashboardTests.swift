import Testing
import SteerKit
@testable import SteerTUI

/// Whole screens at 80x24, 120x40 and 200x60 with 2, 16 and 96 CPUs, compared with
/// literals; every frame starts from a buffer full of "@" so that a cell the view failed to
/// draw would show. The figures behind the literals are in Samples.swift.
@Suite struct DashboardScreenTests {
    @Test func twoCPUsAt80x24() {
        let b = Samples.frame(Samples.state(cpus: 2), 80, 24)
        #expect(b.lines == [
            " steertop · node-7 · eth1 + pods                     LIVE · every 1s · mode rps ",
            "─ CPU 2 ────────────────────── busy  usr  sys  irq soft NET_RX/s  drop/s   sqz/s",
            "0 ███████████▊················   42    0    0    2   40    12.3k       0       0",
            "1 ███████████████▋············   56    7    3    0   46    24.7k       0       0",
            "─ Interfaces 4 · 7 queues · rps_sock_flow_entries 32768 ────────────────────────",
            "namespace/pod      iface            rx Mb/s  tx Mb/s queue     rps_cpus flow_cnt",
            "host               eth1                9410      0.0 rx-0      0-3          4096",
            "                                                     rx-1      0-3          4096",
            "                                                     rx-2      0-3          4096",
            "                                                     rx-3      0-3          4096",
            "cni-1002           eth0                 783      0.0 rx-0      off             0",
            "iperf-server-0 cn… eth0                2350      0.0 rx-0      0-1          2048",
            "iperf-server-1 cn… eth0                1175      0.0 rx-0      0-1          2048",
            "─ Throughput · total 4.61 Gb/s · 4 streams · 1 stale · 1 failed ────────────────",
            "pod0:5201  2.30 Gb/s ████████████████▉   10.00 Gb/s                         │   ",
            "pod1:5202  2.31 Gb/s █████████████████                ▅    ▅    ▅    ▅    ▅ │  ▅",
            "pod2:5203  0.00 Gb/s stale                           ▁█   ▁█   ▁█   ▁█   ▁█ │ ▁█",
            "pod3:5204  0.00 Gb/s connection refus…               ██   ██   ██   ██   ██ │ ██",
            "                                                    ▅██  ▅██  ▅██  ▅██  ▅██ │▅██",
            "                                                    ███ ▁███ ▁███ ▁███ ▁███ ▁███",
            "                                                    ███ ████ ████ ████ ████ ████",
            "                                          2.00 Gb/s ███▅████▅████▅████▅████▅████",
            "total      4.61 Gb/s                          -140s ────────────────────────┴rps",
            "switched to rps at 12:03:04: 8 files written                             ? help ",
        ])
    }

    @Test func sixteenCPUsAt80x24GoToThreeColumnsToShowEveryCore() {
        var b = Samples.marked(80, 24)
        let layout = DashboardView.render(Samples.state(cpus: 16), theme: .builtin, glyphs: .unicode, into: &b)
        #expect(b.lines == [
            " steertop · node-7 · eth1 + pods                     LIVE · every 1s · mode rps ",
            "─ CPU 16 · busiest cpu3 68% soft · avg idle 76% · drops on 1 cpu ───────────────",
            " 0 ███▊·····  42% 12.3k     1 █████····  56% 24.7k     2 █████▎···  59% 37.0k D ",
            " 3 ██████▏··  68% 49.4k S   4 █▍·······  15%     4     5 █▏·······  13%     5   ",
            " 6 ▉········  10%     6     7 █▍·······  15%     7     8 █▎·······  14%     8   ",
            " 9 █▌·······  17%     9    10 █········  11%    10    11 █▉·······  21%    11   ",
            "12 █▏·······  13%    12    13 █▏·······  12%    13    14 ▊········   8%    14   ",
            "15 ▊········   9%    15                                                         ",
            "─ Interfaces 4 · 7 queues · rps_sock_flow_entries 32768 ────────────────────────",
            "namespace/pod      iface            rx Mb/s  tx Mb/s queue     rps_cpus flow_cnt",
            "host               eth1                9410      0.0 rx-0      0-3          4096",
            "                                                     rx-1      0-3          4096",
            "                                                     rx-2      0-3          4096",
            "                                                     rx-3      0-3          4096",
            "cni-1002           eth0                 783      0.0 rx-0      off             0",
            "iperf-server-0 cn… eth0                2350      0.0 rx-0      0-1          2048",
            "iperf-server-1 cn… eth0                1175      0.0 rx-0      0-1          2048",
            "─ Throughput · total 4.61 Gb/s · 4 streams · 1 stale · 1 failed ────────────────",
            "pod0:5201  2.30 Gb/s ████████████████▉   10.00 Gb/s   ▂    ▂    ▂    ▂    ▂ │  ▂",
            "pod1:5202  2.31 Gb/s █████████████████               ▄█   ▄█   ▄█   ▄█   ▄█ │ ▄█",
            "pod2:5203  0.00 Gb/s stale                          ▆██  ▆██  ▆██  ▆██  ▆██ │▆██",
            "pod3:5204  0.00 Gb/s connection refus…    2.00 Gb/s ███▂████▂████▂████▂████▂████",
            "total      4.61 Gb/s                          -140s ────────────────────────┴rps",
            "switched to rps at 12:03:04: 8 files written                             ? help ",
        ])
        #expect(layout.cpu == .full && layout.interfaces == .full && layout.throughput == .full)
        #expect(layout.heights == [7, 9, 6, 0, 0])
    }

    @Test func ninetySixCPUsAnd40InterfacesAt80x24() {
        var st = Samples.state(cpus: 96, pods: 39, streams: 8)
        st.recorder = .init(path: "/var/tmp/steertop-0412.jsonl", lines: 123, bytes: 45_678)
        var b = Samples.marked(80, 24)
        let layout = DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &b)
        #expect(b.lines == [
            " steertop · node-7 · eth1 + pods                     LIVE · every 1s · mode rps ",
            "─ CPU 96 · cpus 0-35 of 96, PgUp/PgDn · busiest cpu3 68% soft · drops on 1 cpu ─",
            " 0 ███▊·····  42% 12.3k     1 █████····  56% 24.7k     2 █████▎···  59% 37.0k D ",
            " 3 ██████▏··  68% 49.4k S   4 █▍·······  15%     4     5 █▏·······  13%     5   ",
            " 6 ▉········  10%     6     7 █▍·······  15%     7     8 █▎·······  14%     8   ",
            " 9 █▌·······  17%     9    10 █········  11%    10    11 █▉·······  21%    11   ",
            "12 █▏·······  13%    12    13 █▏·······  12%    13    14 ▊········   8%    14   ",
            "15 ▊········   9%    15    16 █▊·······  19%    16    17 █········  11%    17   ",
            "18 █▎·······  14%    18    19 ▌········   6%    19    20 █▊·······  20%    20   ",
            "21 ▉········  10%    21    22 ██·······  22%    22    23 █▏·······  12%    23   ",
            "24 █▌·······  17%    24    25 █▋·······  18%    25    26 ▊········   8%    26   ",
            "27 █········  11%    27    28 ▎········   3%    28    29 █▍·······  15%    29   ",
            "30 █▌·······  16%    30    31 █▊·······  19%    31    32 ▊········   9%    32   ",
            "33 █▎·······  14%    33    34 █▏·······  13%    34    35 █▊·······  20%    35   ",
            "─ Interfaces 40 · 43 queues · rps_sock_flow_entries 32768 ──────────────────────",
            "namespace/pod      iface            rx Mb/s  tx Mb/s queue     rps_cpus flow_cnt",
            "host               eth1                9410      0.0 rx-0..3   0-3          4096",
            "cni-1002           eth0                 783      0.0 rx-0      off             0",
            "rows 1-2 of 40 · ↑/↓ scroll · / filter · s sort                                 ",
            "─ Throughput · total 14.05 Gb/s · 8 streams · 1 stale · 1 failed ───────────────",
            "pod0:5201  2.30 Gb/s ████████████████▌   10.00 Gb/s   ▄    ▄    ▄    ▄    ▄    ▄",
            "+7 more streams                                     ▃▇█  ▃▇█  ▃▇█  ▃▇█  ▃▇█  ▃▇█",
            "total     14.05 Gb/s                      2.00 Gb/s ███▂▆███▂▆███▂▆███▂▆███▂▆███",
            "switched to rps at 12:03:04: 8 file…  ● REC steertop-0412.jsonl 123 lines 46 KB ",
        ])
        #expect(layout.cpu == .shortened && layout.interfaces == .shortened && layout.throughput == .shortened)
        #expect(layout.cpuPage == 36 && layout.cpuScrollMax == 60 && layout.cpuFirst == 0)
    }

    @Test func sixteenCPUsAt120x40OneCoreARow() {
        let b = Samples.frame(Samples.state(cpus: 16), 120, 40)
        #expect(b.lines == [
            " steertop · node-7 · eth1 + pods                                  LIVE · every 1s · mode rps (rps_cpus 0-3 · flow 4096) ",
            "─ CPU 16 · busiest cpu3 68% soft · avg idle 76% · drops on 1 cpu ───── busy  usr  sys  irq soft NET_RX/s  drop/s   sqz/s",
            " 0 ████████████████████████████▏······································   42    0    0    2   40    12.3k       0       0",
            " 1 █████████████████████████████████████▌·····························   56    7    3    0   46    24.7k       0       0",
            " 2 ███████████████████████████████████████▌···························   59    1    6    0   52    37.0k       3       0",
            " 3 █████████████████████████████████████████████▌·····················   68    8    2    0   58    49.4k       0      12",
            " 4 ██████████·························································   15    2    5    0    8        4       0       0",
            " 5 ████████▊··························································   13    9    1    2    1        5       0       0",
            " 6 ██████▊····························································   10    3    4    0    3        6       0       0",
            " 7 ██████████·························································   15   10    0    0    5        7       0       0",
            " 8 █████████▍·························································   14    4    3    0    7        8       0       0",
            " 9 ███████████▍·······················································   17   11    6    0    0        9       0       0",
            "10 ███████▍···························································   11    5    2    2    2       10       0       0",
            "11 ██████████████▏····················································   21   12    5    0    4       11       0       0",
            "12 ████████▊··························································   13    6    1    0    6       12       0       0",
            "13 ████████···························································   12    0    4    0    8       13       0       0",
            "14 █████▍·····························································    8    7    0    0    1       14       0       0",
            "15 ██████·····························································    9    1    3    2    3       15       0       0",
            "─ Interfaces 4 · 7 queues · rps_sock_flow_entries 32768 ────────────────────────────────────────────────────────────────",
            "namespace/pod                           iface            rx Mb/s  tx Mb/s  rx pps queue     rps_cpus            flow_cnt",
            "host                                    eth1                9410      0.0    812k rx-0      0-3                     4096",
            "                                                                                  rx-1      0-3                     4096",
            "                                                                                  rx-2      0-3                     4096",
            "                                                                                  rx-3      0-3                     4096",
            "cni-1002                                eth0                 783      0.0   66.7k rx-0      off                        0",
            "iperf-server-0 cni-1000                 eth0                2350      0.0    200k rx-0      0-1                     2048",
            "iperf-server-1 cni-1001                 eth0                1175      0.0    100k rx-0      0-1                     2048",
            "─ Throughput · total 4.61 Gb/s · 4 streams · 1 stale · 1 failed · max 9.20 Gb/s · chart 2s a column ────────────────────",
            "pod0:5201  2.30 Gb/s ███████████████████▉    10.00 Gb/s                                                       │         ",
            "pod1:5202  2.31 Gb/s ████████████████████               ▆           ▄█          ▁▆           ▄█          ▁▆   │       ▄█",
            "pod2:5203  0.00 Gb/s stale                              █         ▂▇██         ▄██         ▂▇██         ▄██   │     ▂▇██",
            "pod3:5204  0.00 Gb/s connection refused …               █        ▅████       ▃████        ▅████       ▃████   │    ▅████",
            "                                                        █▅     ▄██████     ▁▆█████▅     ▄██████     ▁▆█████▅  │  ▄██████",
            "                                                        ██   ▂▇███████    ▄████████   ▂▇███████    ▄████████  │▂▇███████",
            "                                                        ██  ▅█████████  ▃██████████  ▅█████████  ▃██████████  ▅█████████",
            "                                                        ██▄███████████▁▆███████████▄███████████▁▆███████████▄███████████",
            "                                                        ████████████████████████████████████████████████████████████████",
            "                                               0.0 Mb/s ████████████████████████████████████████████████████████████████",
            "total      4.61 Gb/s                              -128s ──────────────────────────────────────────────────────┴rps──────",
            "switched to rps at 12:03:04: 8 files written                                                                     ? help ",
        ])
    }

    @Test func ninetySixCPUsAt200x60() {
        var st = Samples.state(cpus: 96, pods: 39, streams: 8)
        st.recorder = .init(path: "/var/tmp/steertop-0412.jsonl", lines: 123, bytes: 45_678)
        var b = Samples.marked(200, 60)
        let layout = DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &b)
        #expect(b.lines == [
            " steertop · node-7 · eth1 + pods                                                                                                                  LIVE · every 1s · mode rps (rps_cpus 0-3 · flow 4096) ",
            "─ CPU 96 · busiest cpu3 68% soft · avg idle 85% · drops on 1 cpu · squeeze on 1 cpu · % busy, NET_RX/s, D drops, S squeeze · usr sys irq soft ──────────────────────────────────────────────────────────",
            " 0 ███····  42% 12.3k     1 ███▉···  56% 24.7k     2 ████▏··  59% 37.0k D   3 ████▊··  68% 49.4k S   4 █······  15%     4     5 ▉······  13%     5     6 ▊······  10%     6     7 █······  15%     7    ",
            " 8 █······  14%     8     9 █▎·····  17%     9    10 ▊······  11%    10    11 █▌·····  21%    11    12 ▉······  13%    12    13 ▉······  12%    13    14 ▌······   8%    14    15 ▋······   9%    15    ",
            "16 █▍·····  19%    16    17 ▊······  11%    17    18 █······  14%    18    19 ▍······   6%    19    20 █▍·····  20%    20    21 ▊······  10%    21    22 █▌·····  22%    22    23 ▉······  12%    23    ",
            "24 █▎·····  17%    24    25 █▎·····  18%    25    26 ▌······   8%    26    27 ▊······  11%    27    28 ▎······   3%    28    29 █······  15%    29    30 █▏·····  16%    30    31 █▍·····  19%    31    ",
            "32 ▋······   9%    32    33 █······  14%    33    34 ▉······  13%    34    35 █▍·····  20%    35    36 ▌······   8%    36    37 █▍·····  20%    37    38 ▉······  12%    38    39 ▊······  11%    39    ",
            "40 █▎·····  18%    40    41 ▍······   6%    41    42 ▊······  11%    42    43 ▊······  10%    43    44 █▌·····  22%    44    45 ▌······   7%    45    46 █▎·····  17%    46    47 ▋······   9%    47    ",
            "48 █▌·····  21%    48    49 ▉······  13%    49    50 █▎·····  18%    50    51 █······  15%    51    52 ▌······   7%    52    53 █▍·····  19%    53    54 ▏······   2%    54    55 █▏·····  16%    55    ",
            "56 ▍······   6%    56    57 █▎·····  18%    57    58 █▎·····  17%    58    59 ▉······  13%    59    60 █······  14%    60    61 █▎·····  17%    61    62 █▏·····  16%    62    63 ▉······  12%    63    ",
            "64 ▊······  11%    64    65 ▉······  12%    65    66 █······  15%    66    67 █······  14%    67    68 ▊······  10%    68    69 ▋······   9%    69    70 █▏·····  16%    70    71 ▉······  13%    71    ",
            "72 █▏·····  16%    72    73 ▌······   8%    73    74 █▍·····  20%    74    75 █······  14%    75    76 █▋·····  24%    76    77 ▌······   7%    77    78 ▍······   6%    78    79 █▎·····  18%    79    ",
            "80 ▉······  12%    80    81 ▉······  13%    81    82 ▍······   5%    82    83 █▎·····  17%    83    84 ▋······   9%    84    85 █▋·····  23%    85    86 ▊······  11%    86    87 █▏·····  16%    87    ",
            "88 █······  15%    88    89 █▍·····  20%    89    90 ▉······  12%    90    91 ▏······   2%    91    92 █······  14%    92    93 ▉······  13%    93    94 █▎·····  18%    94    95 ▊······  10%    95    ",
            "─ Interfaces 40 · 43 queues · rps_sock_flow_entries 32768 ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────",
            "namespace/pod                                    iface            rx Mb/s  tx Mb/s  rx pps queue     rps_cpus                                 flow_cnt                                                  ",
            "host                                             eth1                9410      0.0    812k rx-0..3   0-3                                          4096                                                  ",
            "cni-1002                                         eth0                 783      0.0   66.7k rx-0      off                                             0                                                  ",
            "cni-1003                                         eth0                 588      0.0   50.0k rx-0      0-1                                          2048                                                  ",
            "cni-1004                                         eth0                 470      0.0   40.0k rx-0      0-1                                          2048                                                  ",
            "cni-1005                                         eth0                 392      0.0   33.3k rx-0      off                                             0                                                  ",
            "cni-1006                                         eth0                 336      0.0   28.6k rx-0      0-1                                          2048                                                  ",
            "cni-1007                                         eth0                 294      0.0   25.0k rx-0      0-1                                          2048                                                  ",
            "cni-1008                                         eth0                 261      0.0   22.2k rx-0      off                                             0                                                  ",
            "cni-1009                                         eth0                 235      0.0   20.0k rx-0      0-1                                          2048                                                  ",
            "cni-1010                                         eth0                 214      0.0   18.2k rx-0      0-1                                          2048                                                  ",
            "cni-1011                                         eth0                 196      0.0   16.7k rx-0      off                                             0                                                  ",
            "cni-1012                                         eth0                 181      0.0   15.4k rx-0      0-1                                          2048                                                  ",
            "cni-1013                                         eth0                 168      0.0   14.3k rx-0      0-1                                          2048                                                  ",
            "cni-1014                                         eth0                 157      0.0   13.3k rx-0      off                                             0                                                  ",
            "cni-1015                                         eth0                 147      0.0   12.5k rx-0      0-1                                          2048                                                  ",
            "cni-1016                                         eth0                 138      0.0   11.8k rx-0      0-1                                          2048                                                  ",
            "cni-1017                                         eth0                 131      0.0   11.1k rx-0      off                                             0                                                  ",
            "cni-1018                                         eth0                 124      0.0   10.5k rx-0      0-1                                          2048                                                  ",
            "cni-1019                                         eth0                 118      0.0   10.0k rx-0      0-1                                          2048                                                  ",
            "cni-1020                                         eth0                 112      0.0   9.52k rx-0      off                                             0                                                  ",
            "cni-1021                                         eth0                 107      0.0   9.09k rx-0      0-1                                          2048                                                  ",
            "cni-1022                                         eth0                 102      0.0   8.70k rx-0      0-1                                          2048                                                  ",
            "cni-1023                                         eth0                97.9      0.0   8.33k rx-0      off                                             0                                                  ",
            "cni-1024                                         eth0                94.0      0.0   8.00k rx-0      0-1                                          2048                                                  ",
            "cni-1025                                         eth0                90.4      0.0   7.69k rx-0      0-1                                          2048                                                  ",
            "cni-1026                                         eth0                87.0      0.0   7.41k rx-0      off                                             0                                                  ",
            "cni-1027                                         eth0                83.9      0.0   7.14k rx-0      0-1                                          2048                                                  ",
            "cni-1028                                         eth0                81.0      0.0   6.90k rx-0      0-1                                          2048                                                  ",
            "cni-1029                                         eth0                78.3      0.0   6.67k rx-0      off                                             0                                                  ",
            "cni-1030                                         eth0                75.8      0.0   6.45k rx-0      0-1                                          2048                                                  ",
            "cni-1031                                         eth0                73.4      0.0   6.25k rx-0      0-1                                          2048                                                  ",
            "cni-1032                                         eth0                71.2      0.0   6.06k rx-0      off                                             0                                                  ",
            "rows 1-32 of 40 · ↑/↓ scroll · / filter · s sort                                                                                                                                                        ",
            "─ Throughput · total 14.05 Gb/s · 8 streams · 1 stale · 1 failed · max 9.20 Gb/s ───────────────────────────────────────────────────────────────────────────────────────────────────────────────────────",
            "pod0:5201  2.30 Gb/s ███████████████████▍    10.00 Gb/s                  ▁▃                       ▁▃                       ▁▃                       ▁▃                       ▁▃     │                 ▁▃",
            "pod1:5202  2.31 Gb/s ███████████████████▌                            ▁▃▅▇██                   ▁▃▅▇██                   ▁▃▅▇██                   ▁▃▅▇██                   ▁▃▅▇██     │             ▁▃▅▇██",
            "pod2:5203  0.00 Gb/s stale                                       ▂▄▅▇██████               ▂▄▅▇██████               ▂▄▅▇██████               ▂▄▅▇██████               ▂▄▅▇██████     │         ▂▄▅▇██████",
            "pod3:5204  0.00 Gb/s connection refused …                    ▂▄▆███████████           ▂▄▆███████████           ▂▄▆███████████           ▂▄▆███████████           ▂▄▆███████████     │     ▂▄▆███████████",
            "pod4:5205  2.34 Gb/s ███████████████████▊                ▂▄▆███████████████       ▂▄▆███████████████       ▂▄▆███████████████       ▂▄▆███████████████       ▂▄▆███████████████     │ ▂▄▆███████████████",
            "pod5:5206  2.36 Gb/s ███████████████████▉               ███████████████████  ▁▃▄▆███████████████████  ▁▃▄▆███████████████████  ▁▃▄▆███████████████████  ▁▃▄▆███████████████████  ▁▃▄▆███████████████████",
            "pod6:5207  2.37 Gb/s ███████████████████▉               ███████████████████▅▇███████████████████████▅▇███████████████████████▅▇███████████████████████▅▇███████████████████████▅▇███████████████████████",
            "pod7:5208  2.38 Gb/s ████████████████████      0.0 Mb/s ████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████████",
            "total     14.05 Gb/s                              -144s ────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┴rps────────────────",
            "switched to rps at 12:03:04: 8 files written                                                                                                         ● REC steertop-0412.jsonl 123 lines 46 KB · ? help ",
        ])
        #expect(layout.cpu == .full && layout.interfaces == .shortened && layout.throughput == .full)
    }

    /// The other sizes and counts: no cell left undrawn, no row garbled (every row is
    /// exactly as wide as the screen), every core shown where it fits.
    @Test(arguments: [(120, 40, 2), (120, 40, 96), (200, 60, 2), (200, 60, 16), (80, 24, 2), (60, 15, 16)])
    func everyCellIsDrawnAtEverySize(size: (Int, Int, Int)) {
        let (w, h, n) = size
        var b = Samples.marked(w, h)
        let layout = DashboardView.render(Samples.state(cpus: n, pods: 39, streams: 8), theme: .builtin,
                                          glyphs: .unicode, into: &b)
        #expect(!b.lines.contains { $0.contains("@") })
        #expect(b.lines.allSatisfy { $0.unicodeScalars.count == w })
        #expect(layout.cpu == ((w, h) == (60, 15) ? .shortened : .full))
        #expect(b.lines.last!.hasPrefix("switched to rps at 12:03:04"))
    }

    @Test func theMinimumSizeCollapsesThroughputToOneLineWithASparkline() {
        var b = Samples.marked(60, 15)
        let layout = DashboardView.render(Samples.state(cpus: 96, pods: 39, streams: 8), theme: .builtin,
                                          glyphs: .unicode, into: &b)
        #expect(b.lines == [
            " steertop · node-7               LIVE · every 1s · mode rps ",
            "─ CPU 96 · cpus 0-11 of 96, PgUp/PgDn · drops on 1 cpu ─────",
            " 0 █████▌·······  42% 12.3k     1 ███████▎·····  56% 24.7k  ",
            " 2 ███████▋·····  59% 37.0k D   3 ████████▉····  68% 49.4k S",
            " 4 ██···········  15%     4     5 █▊···········  13%     5  ",
            " 6 █▎···········  10%     6     7 ██···········  15%     7  ",
            " 8 █▉···········  14%     8     9 ██▎··········  17%     9  ",
            "10 █▍···········  11%    10    11 ██▊··········  21%    11  ",
            "─ Interfaces 40 · 43 queues · rps_sock_flow_entries 32768 ──",
            "namesp… iface    rx Mb/s tx Mb/s queue     rps_cpus flow_cnt",
            "host    eth1        9410     0.0 rx-0..3   0-3          4096",
            "cni-10… eth0         783     0.0 rx-0      off             0",
            "rows 1-2 of 40 · ↑/↓ scroll · / filter · s sort             ",
            "─ Throughput · total 14.05 Gb/s · 1 stale ─▄▄▅▅▅▅▆▆▆▆▇▇▇▇██─",
            "switched to rps at 12:03:04: 8 files written         ? help ",
        ])
        #expect(layout.throughput == .summary && layout.interfaces == .shortened && layout.cpu == .shortened)
    }

    @Test func belowTheMinimumTheScreenOnlySaysSo() {
        let st = Samples.state(cpus: 96, pods: 39, streams: 8)
        let b = Samples.frame(st, 59, 15)
        #expect(b.lines == [
            "                                                           ",
            "                                                           ",
            "                                                           ",
            "                                                           ",
            "                                                           ",
            "                                                           ",
            "                                                           ",
            "             terminal too small (needs 60x15)              ",
            "                                                           ",
            "                                                           ",
            "                                                           ",
            "                                                           ",
            "                                                           ",
            "                                                           ",
            "                                                           ",
        ])
        let short = Samples.frame(st, 80, 14)
        #expect(short.lines[7] == "                        terminal too small (needs 60x15)                        ")
        #expect(short.lines.filter { $0.contains("terminal") }.count == 1)
        var tiny = Samples.marked(20, 3)
        #expect(DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &tiny).tooSmall)
        #expect(tiny.lines == ["                    ", "terminal too small …", "                    "])
    }

    @Test func liveHelpOverTheScreenWithAFailedSwitchAndAnError() {
        var st = Samples.state(cpus: 16)
        st.showHelp = true
        st.message = .init("cannot write eth1 rx-0 rps_cpus: permission denied", isError: true)
        st.sample!.missing = ["netns cni-1002 vanished"]
        st.switchStatus = .init(target: "rfs+", phase: .failed, message: "permission denied", time: "12:04:00")
        let b = Samples.frame(st, 80, 24)
        #expect(b.lines == [
            " steertop · node-7 · eth1 + pods                     LIVE · every 1s · mode rps ",
            "─ CPU 1┌─ keys (live) ──────────────────────────────────────────────────┐───────",
            " 0 ████│ 1-5         1 baseline 2 rps 3 rps+ 4 rfs 5 rfs+               │24.7k  ",
            " 2 ████│             switch the steering mode                           │49.4k S",
            " 4 ███▌│ u           undo the last switch (restore last)                │    5  ",
            " 6 ██▎·│ r           start / stop recording                             │    7  ",
            " 8 ███▎│ space       pause the screen (sampling goes on)                │    9  ",
            "10 ██▌·│ + -         sampling interval                                  │   11  ",
            "12 ███·│ c           next theme                                         │   13  ",
            "14 █▉··│ ← → T t     older / newer sample (history)                     │   15  ",
            "─ Inter│ End         back to live                                       │───────",
            "namespa│ PgUp PgDn   scroll the CPUs                                    │low_cnt",
            "host   │ ↑ ↓ s       scroll / sort the interfaces                       │   4096",
            "cni-100│ / f         filter the interfaces                              │      0",
            "iperf-s│ ?           close this help                                    │   2048",
            "iperf-s│ q           quit                                               │   2048",
            "─ Throu│                                                                │───────",
            "pod0:52│ what the panels show                                           │ ▂ │  ▂",
            "pod1:52│ busy        100 - idle %: usr sys irq soft, shares of the core │▄█ │ ▄█",
            "pod2:52│ NET_RX/s    receive softirqs a second on the core              │██ │▆██",
            "pod3:52│ drop/s  D   packets its backlog dropped (netdev_max_backlog)   │██▂████",
            "total  │ sqz/s   S   NET_RX out of budget or time (time squeeze)        │───┴rps",
            "cannot └────────────────────────────────────────────────────────────────┘s cni-…",
            "switch to rfs+ failed at 12:04:00: permission denied                     ? help ",
        ])
    }

    @Test func replayHeaderHelpAndMalformedLines() {
        var st = Samples.state(cpus: 16)
        st.source = .replay(file: "/recordings/example-rfs.jsonl", position: 83, duration: 300, speed: 4, paused: true)
        st.showHelp = true
        st.malformedLines = 3
        st.switchStatus = nil
        let b = Samples.frame(st, 80, 24)
        #expect(b.lines == [
            " steertop · example-rfs.jsonl       REPLAY 4x 0:01:23/0:05:00 PAUSED · mode rps ",
            "─ CPU 1┌─ keys (replay) ────────────────────────────────────────────────┐───────",
            " 0 ███▊│ space       pause / play                                       │7.0k D ",
            " 3 ████│ ← →         step one sample back / forward                     │   5   ",
            " 6 ▉···│ [ ]         slower / faster                                    │   8   ",
            " 9 █▌··│ g G         go to the start / the end                          │  11   ",
            "12 █▏··│ m           next mode change                                   │  14   ",
            "15 ▊···│ /           jump to a time                                     │       ",
            "─ Inter│ PgUp PgDn   scroll the CPUs                                    │───────",
            "namespa│ ↑ ↓ s       scroll / sort the interfaces                       │low_cnt",
            "host   │ f           filter the interfaces                              │   4096",
            "       │ ?           close this help                                    │   4096",
            "       │ q           quit                                               │   4096",
            "       │                                                                │   4096",
            "cni-100│ what the panels show                                           │      0",
            "iperf-s│ busy        100 - idle %: usr sys irq soft, shares of the core │   2048",
            "iperf-s│ NET_RX/s    receive softirqs a second on the core              │   2048",
            "─ Throu│ drop/s  D   packets its backlog dropped (netdev_max_backlog)   │───────",
            "pod0:52│ sqz/s   S   NET_RX out of budget or time (time squeeze)        │ ▂ │  ▂",
            "pod1:52│ rps_cpus    CPUs RPS spreads a queue to; off: none             │▄█ │ ▄█",
            "pod2:52│ flow_cnt    rps_flow_cnt: the queue's RFS flow table           │██ │▆██",
            "pod3:52│ sock_flow   rps_sock_flow_entries: RFS's global table          │██▂████",
            "total  └────────────────────────────────────────────────────────────────┘───┴rps",
            "                                             3 malformed lines skipped · ? help ",
        ])
    }

    @Test func historyInASCII() {
        var st = Samples.state(cpus: 2)
        st.history = .init(secondsAgo: 12, index: 47, count: 60)
        st.paused = true
        // The sample shown says rps; the kernel has been switched to rfs since.
        st.kernelMode = "rfs"
        let b = Samples.frame(st, 80, 24, glyphs: .ascii)
        #expect(b.lines == [
            " steertop | node-7     HISTORY -12s 48/60 PAUSED | every 1s | mode rps, now rfs ",
            "- CPU 2 ---------------------- busy  usr  sys  irq soft NET_RX/s  drop/s   sqz/s",
            "0 ###########=................   42    0    0    2   40    12.3k       0       0",
            "1 ###############=............   56    7    3    0   46    24.7k       0       0",
            "- Interfaces 4 | 7 queues | rps_sock_flow_entries 32768 ------------------------",
            "namespace/pod      iface            rx Mb/s  tx Mb/s queue     rps_cpus flow_cnt",
            "host               eth1                9410      0.0 rx-0      0-3          4096",
            "                                                     rx-1      0-3          4096",
            "                                                     rx-2      0-3          4096",
            "                                                     rx-3      0-3          4096",
            "cni-1002           eth0                 783      0.0 rx-0      off             0",
            "iperf-server-0 cn~ eth0                2350      0.0 rx-0      0-1          2048",
            "iperf-server-1 cn~ eth0                1175      0.0 rx-0      0-1          2048",
            "- Throughput | total 4.61 Gb/s | 4 streams | 1 stale | 1 failed ----------------",
            "pod0:5201  2.30 Gb/s ################=   10.00 Gb/s                         |   ",
            "pod1:5202  2.31 Gb/s #################                +    +    +    +    + |  +",
            "pod2:5203  0.00 Gb/s stale                           .@   .@   .@   .@   .@ | .@",
            "pod3:5204  0.00 Gb/s connection refus~               @@   @@   @@   @@   @@ | @@",
            "                                                    +@@  +@@  +@@  +@@  +@@ |+@@",
            "                                                    @@@ .@@@ .@@@ .@@@ .@@@ .@@@",
            "                                                    @@@ @@@@ @@@@ @@@@ @@@@ @@@@",
            "                                          2.00 Gb/s @@@+@@@@+@@@@+@@@@+@@@@+@@@@",
            "total      4.61 Gb/s                          -140s ------------------------|rps",
            "switched to rps at 12:03:04: 8 files written                             ? help ",
        ])
        #expect(b.lines.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) })
    }

    @Test func withoutColoursTheBarSegmentsDifferBySymbol() {
        let b = Samples.frame(Samples.state(cpus: 2), 80, 24, colours: .none)
        // cpu0: irq 2% (one ▓ cell), then softirq solid; cpu1: usr ░░, sys ▒, then soft.
        #expect(b.lines == [
            " steertop · node-7 · eth1 + pods                     LIVE · every 1s · mode rps ",
            "─ CPU 2 ────────────────────── busy  usr  sys  irq soft NET_RX/s  drop/s   sqz/s",
            "0 ▓███████████················   42    0    0    2   40    12.3k       0       0",
            "1 ░░▒█████████████············   56    7    3    0   46    24.7k       0       0",
            "─ Interfaces 4 · 7 queues · rps_sock_flow_entries 32768 ────────────────────────",
            "namespace/pod      iface            rx Mb/s  tx Mb/s queue     rps_cpus flow_cnt",
            "host               eth1                9410      0.0 rx-0      0-3          4096",
            "                                                     rx-1      0-3          4096",
            "                                                     rx-2      0-3          4096",
            "                                                     rx-3      0-3          4096",
            "cni-1002           eth0                 783      0.0 rx-0      off             0",
            "iperf-server-0 cn… eth0                2350      0.0 rx-0      0-1          2048",
            "iperf-server-1 cn… eth0                1175      0.0 rx-0      0-1          2048",
            "─ Throughput · total 4.61 Gb/s · 4 streams · 1 stale · 1 failed ────────────────",
            "pod0:5201  2.30 Gb/s ████████████████▉   10.00 Gb/s                         │   ",
            "pod1:5202  2.31 Gb/s █████████████████                ▅    ▅    ▅    ▅    ▅ │  ▅",
            "pod2:5203  0.00 Gb/s stale                           ▁█   ▁█   ▁█   ▁█   ▁█ │ ▁█",
            "pod3:5204  0.00 Gb/s connection refus…               ██   ██   ██   ██   ██ │ ██",
            "                                                    ▅██  ▅██  ▅██  ▅██  ▅██ │▅██",
            "                                                    ███ ▁███ ▁███ ▁███ ▁███ ▁███",
            "                                                    ███ ████ ████ ████ ████ ████",
            "                                          2.00 Gb/s ███▅████▅████▅████▅████▅████",
            "total      4.61 Gb/s                          -140s ────────────────────────┴rps",
            "switched to rps at 12:03:04: 8 files written                             ? help ",
        ])
        #expect(b.styles(row: 2).allSatisfy { $0.fg == .default && $0.bg == .default })
    }

    @Test func beforeTheFirstSample() {
        var st = DashboardState()
        st.host = "node-7"
        let b = Samples.frame(st, 80, 24)
        #expect(b.lines == [
            " steertop · node-7                               LIVE · every 1s · mode unknown ",
            "─ CPU ──────────────────────────────────────────────────────────────────────────",
            "  waiting for the first sample                                                  ",
            "─ Interfaces 0 · 0 queues · rps_sock_flow_entries ? ────────────────────────────",
            "namespace/pod      iface            rx Mb/s  tx Mb/s queue     rps_cpus flow_cnt",
            "no interfaces                                                                   ",
            "─ Throughput ───────────────────────────────────────────────────────────────────",
            "no iperf3 streams                                                               ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                                ",
            "                                                                         ? help ",
        ])
    }
}

/// Styles checked cell by cell where they carry meaning.
@Suite struct DashboardStyleTests {
    let p = Theme.builtin.palette(.c256)

    @Test func softirqIsDrawnInTheSoftColour() {
        let b = Samples.frame(Samples.state(cpus: 2), 80, 24)
        // cpu0 is irq 2% and soft 40% of a 28-cell bar: 4 eighths of irq, then soft to 94
        // eighths. The first cell is half irq, half soft (a tie goes to the first segment).
        let row = b.styles(row: 2)
        #expect(row[2] == p[.irq])
        #expect(p[.soft] == Style(fg: .indexed(170)))
        #expect(row[3...13].allSatisfy { $0 == p[.soft] })
        #expect(row[14...29].allSatisfy { $0 == p[.idle] })
        #expect(Array(b.line(2).unicodeScalars)[13] == "▊")
        // The soft column's heading is the key; its figure ("40") is in the text colour, as
        // all the figures are, so that a row's changes go to the terminal as one run.
        let heading = b.styles(row: 1), title = Array(b.line(1).unicodeScalars)
        #expect(String(String.UnicodeScalarView(title[51...54])) == "soft" && heading[51...54].allSatisfy { $0 == p[.soft] })
        #expect(row[53...54].allSatisfy { $0 == p[.text] })
        // On an 8-colour terminal the same cells are magenta.
        let b8 = Samples.frame(Samples.state(cpus: 2), 80, 24, colours: .c8)
        #expect(b8.styles(row: 2)[3...13].allSatisfy { $0 == Style(fg: .magenta) })
    }

    @Test func dropsAndSqueezesAreFlagged() {
        let b = Samples.frame(Samples.state(cpus: 16), 80, 24)
        // Row 2 ends with cpu2's "D", row 3 has cpu3's "S" at the end of its first cell.
        #expect(b[78, 2] == Cell("D", style: p[.drop]))
        #expect(b[24, 3] == Cell("S", style: p[.squeeze]))
        #expect(b[24, 4] == Cell(" ", style: p[.text]))
        let wide = Samples.frame(Samples.state(cpus: 16), 120, 40)
        // The detailed rows (bar 67 cells, numbers from x=71): drop/s of cpu2 ends at x=111,
        // sqz/s of cpu3 at 119, coloured; zeros in the label style.
        #expect(wide[111, 4] == Cell("3", style: p[.drop]))
        #expect(wide.styles(row: 5)[118...119].allSatisfy { $0 == p[.squeeze] })
        #expect(wide[111, 2] == Cell("0", style: p[.label]))
    }

    @Test func aFailedSwitchIsInTheErrorStyleAndAnOKOneIsNot() {
        var st = Samples.state(cpus: 2)
        st.switchStatus = .init(target: "rfs+", phase: .failed, message: "permission denied", time: "12:04:00")
        let b = Samples.frame(st, 80, 24)
        let text = "switch to rfs+ failed at 12:04:00: permission denied"
        #expect(b.line(23).hasPrefix(text))
        #expect(b.styles(row: 23)[0..<text.count].allSatisfy { $0 == p[.error] })
        #expect(p[.error] == Style(fg: .indexed(196), attributes: .bold))

        let ok = Samples.frame(Samples.state(cpus: 2), 80, 24)
        #expect(ok.styles(row: 23)[0..<15].allSatisfy { $0 == p[.ok] })
        #expect(ok.styles(row: 23)[15..<44].allSatisfy { $0 == p[.label] })
    }

    @Test func anErrorMessageAndWhatCouldNotBeRead() {
        var st = Samples.state(cpus: 2)
        st.message = .init("cannot write eth1 rx-0 rps_cpus: permission denied", isError: true)
        st.sample!.missing = ["netns cni-1002 vanished"]
        let b = Samples.frame(st, 120, 24)
        #expect(b.line(22).hasPrefix("cannot write eth1 rx-0 rps_cpus: permission denied · could not read: netns cni-1002 vanished "))
        #expect(b[0, 22].style == p[.error])
        #expect(b[60, 22].style == p[.warn])
        st.message = .init("recording to /var/tmp/x.jsonl")
        #expect(Samples.frame(st, 120, 24)[0, 22].style == p[.text])
    }

    @Test func theHeaderIsOneBarAndTheStateBadgeIsColoured() {
        var st = Samples.state(cpus: 2)
        let live = Samples.frame(st, 80, 24)
        #expect(live.styles(row: 0).allSatisfy { $0.bg == .indexed(24) })
        let badge = live.line(0).distance(of: "LIVE")!
        #expect(live.styles(row: 0)[badge..<(badge + 4)].allSatisfy { $0 == p[.ok].over(p[.header]) })
        st.paused = true
        let paused = Samples.frame(st, 80, 24)
        #expect(paused.line(0).contains("PAUSED · every 1s · mode rps"))
        #expect(paused[paused.line(0).distance(of: "PAUSED")!, 0].style == p[.warn].over(p[.header]))
        st.mode = "custom"
        let custom = Samples.frame(st, 80, 24)
        #expect(custom[custom.line(0).distance(of: "custom")!, 0] == Cell("c", style: p[.warn].over(p[.header])))
    }

    @Test func theModeInForceIsSelectedInTheHelp() throws {
        var st = Samples.state(cpus: 16)
        st.mode = "rfs"
        st.showHelp = true
        let b = Samples.frame(st, 80, 24)
        let row = try #require((0..<24).first { b.line($0).contains("4 rfs") })
        let start = b.line(row).distance(of: "4 rfs")!
        #expect(b.styles(row: row)[start..<(start + 5)].allSatisfy { $0 == p[.selection] })
        #expect(b[start - 2, row].style == p[.help])
    }

    @Test func staleAndFailedStreamsAreDimmedWithTheirReason() {
        let b = Samples.frame(Samples.state(cpus: 2), 80, 24)
        #expect(b.line(16).hasPrefix("pod2:5203  0.00 Gb/s stale "))
        // id (9 cells), rate (10), reason: all dimmed.
        for range in [0..<9, 10..<20, 21..<26] { #expect(b.styles(row: 16)[range].allSatisfy { $0 == p[.stale] }) }
        #expect(b[21, 17].style == p[.error].adding(.dim))
        #expect(b[0, 14].style == p[.text] && b[12, 14].style == p[.stream])
    }
}

/// Layout rules: what gives way first, scrolling, long lists.
@Suite struct DashboardLayoutTests {
    func figs(_ n: Int) -> [CPUFigures] { CPUFigures.from(Samples.sample(cpus: n)) }

    @Test func panelsGiveWayInOrder() {
        let ifaces = Samples.ifaces(pods: 39), streams = Samples.streams(8)
        func layout(_ rows: Int) -> ([DashboardView.Layout.Form], [Int]) {
            var l = DashboardView.Layout()
            let h = DashboardView.allocate(figs: figs(96), ifaces: ifaces, streams: streams, width: 80, rows: rows, layout: &l)
            #expect(h[3...] == [0, 0], "no trace panels without tracing")
            return ([l.cpu, l.interfaces, l.throughput], Array(h.prefix(3)))
        }
        // All there is: 96 CPU rows, 40 interfaces (43 queues), 8 streams, and every row left
        // over to the throughput chart: no row stays blank.
        #expect(layout(200) == ([.full, .full, .full], [97, 45, 58]))  // one core a row
        #expect(layout(60) == ([.full, .shortened, .full], [33, 17, 10]))       // interfaces first
        #expect(layout(45) == ([.full, .shortened, .shortened], [33, 5, 7]))    // then the streams
        #expect(layout(20) == ([.shortened, .shortened, .shortened], [11, 5, 4]))  // then the CPU window
        #expect(layout(12) == ([.shortened, .shortened, .summary], [6, 5, 1]))     // throughput collapses
        #expect(layout(8) == ([.shortened, .summary, .summary], [6, 1, 1]))        // then interfaces
        #expect(layout(3) == ([.summary, .summary, .summary], [1, 1, 1]))          // and the CPUs
    }

    /// With tracing: the stages and flows panels shorten and then collapse to their titles
    /// before the interfaces and the streams give up rows; rows left over bring them back
    /// whole or shortened.
    @Test func tracePanelsGiveWayInOrder() {
        let ifaces = Samples.ifaces(pods: 3), streams = Samples.streams(8)
        var trace = DashboardView.TraceHeights()
        trace.stagesFull = 12; trace.stagesMin = 4; trace.flowsFull = 10; trace.flowsMin = 4
        func layout(_ rows: Int) -> ([DashboardView.Layout.Form], [Int]) {
            var l = DashboardView.Layout()
            let h = DashboardView.allocate(figs: figs(2), ifaces: ifaces, streams: streams, trace: trace, width: 80,
                                           rows: rows, layout: &l)
            return ([l.cpu, l.interfaces, l.throughput, l.stages, l.flows], h)
        }
        #expect(layout(60) == ([.full, .full, .full, .full, .full], [3, 9, 26, 12, 10]))
        #expect(layout(30) == ([.full, .full, .full, .shortened, .shortened], [2, 9, 10, 5, 4]))
        #expect(layout(22) == ([.full, .shortened, .full, .summary, .summary], [3, 6, 11, 1, 1]))
        #expect(layout(14) == ([.full, .shortened, .shortened, .summary, .summary], [2, 5, 5, 1, 1]))
        #expect(layout(8) == ([.full, .summary, .summary, .summary, .summary], [3, 1, 1, 1, 1]))
    }

    @Test func theCPUSummaryLine() {
        let ctx = Context(state: DashboardState(), palette: Theme.builtin.palette(.c256), glyphs: .unicode)
        var b = markedBuffer(80, 1)
        CPUPanel.summary(figs(96), row: Rect(x: 0, y: 0, width: 80, height: 1), ctx: ctx, into: &b)
        #expect(b.lines == ["─ CPU 96 cores · busiest cpu3 68% soft · avg idle 85% · drops on 1 cpu ─────────"])
        var narrow = markedBuffer(60, 1)
        CPUPanel.summary(figs(96), row: Rect(x: 0, y: 0, width: 60, height: 1), ctx: ctx, into: &narrow)
        #expect(narrow.lines == ["─ CPU 96 cores · busiest cpu3 68% soft · drops on 1 cpu ────"])
    }

    @Test func theInterfacesSummaryLine() {
        let ctx = Context(state: DashboardState(), palette: Theme.builtin.palette(.c256), glyphs: .unicode)
        var b = markedBuffer(120, 1)
        InterfacesPanel.summary(Samples.sample(cpus: 2, pods: 39), row: Rect(x: 0, y: 0, width: 120, height: 1), ctx: ctx, into: &b)
        // eth1 9.41 Gb/s + pods 2.35 Gb/s x (1 + 1/2 + ... + 1/39); every third pod has RPS off.
        #expect(b.lines == ["─ Interfaces 40 · 43 queues · rx 19.41 Gb/s 1.66M pps · RPS on 30/43 queues · rps_sock_flow_entries 32768 ──────────────"])
    }

    @Test func scrollingTheCPUsMovesByWholeRowsAndStopsAtTheEnd() {
        var st = Samples.state(cpus: 96, pods: 39, streams: 8)
        st.cpuScroll = 40  // rounds down to the row that starts at 39
        var b = Samples.marked(80, 24)
        var layout = DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &b)
        #expect(layout.cpuFirst == 39)
        #expect(b.line(1).hasPrefix("─ CPU 96 · cpus 39-74 of 96, PgUp/PgDn · "))
        #expect(b.line(2).hasPrefix("39 "))
        st.cpuScroll = 500
        layout = DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &b)
        #expect(layout.cpuFirst == layout.cpuScrollMax && layout.cpuFirst == 60)
        #expect(b.line(13).hasPrefix("93 ") && b.line(13).contains(" 95 "))
        st.cpuScroll = -3
        #expect(DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &b).cpuFirst == 0)
    }

    @Test func queuesWithTheSameSettingsMergeWhenRowsRunShort() {
        var st = Samples.state(cpus: 2, pods: 3, streams: 1, hostQueues: 16)
        st.sample!.ifaces[0].queues[9].rpsCPUs = "0"
        st.sample!.ifaces[0].queues[10].rpsCPUs = nil
        st.sample!.ifaces[0].queues[11].rpsFlowCount = nil
        var b = Samples.marked(80, 24)
        let layout = DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &b)
        // 19 queue rows do not fit with the rest, 8 merged ones do; the CPUs keep a row each.
        #expect(layout.interfaces == .shortened && layout.cpu == .full && layout.heights == [3, 10, 9, 0, 0])
        #expect(Array(b.lines[5...14]) == [
            "namespace/pod      iface            rx Mb/s  tx Mb/s queue     rps_cpus flow_cnt",
            "host               eth1                9410      0.0 rx-0..8   0-3          4096",
            "                                                     rx-9      off          4096",
            "                                                     rx-10     ?            4096",
            "                                                     rx-11     0-3             ?",
            "                                                     rx-12..15 0-3          4096",
            "cni-1002           eth0                 783      0.0 rx-0      off             0",
            "iperf-server-0 cn… eth0                2350      0.0 rx-0      0-1          2048",
            "iperf-server-1 cn… eth0                1175      0.0 rx-0      0-1          2048",
            "─ Throughput · total 2.30 Gb/s · 1 stream · max 9.20 Gb/s · chart 5s a column ──",
        ])
        // The unreadable mask of rx-10 shows "?" in the warning style.
        let unreadable = b.line(8).distance(of: "?")!
        #expect(b[unreadable, 8].style == Theme.builtin.palette(.c256)[.warn])
    }

    @Test func aLongInterfaceCutShortSaysWhatIsLeft() {
        var st = Samples.state(cpus: 2, pods: 0, streams: 1, hostQueues: 40)
        for q in 0..<40 { st.sample!.ifaces[0].queues[q].rpsFlowCount = q }
        var b = Samples.marked(80, 24)
        DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &b)
        // 40 queues that differ cannot merge: 14 rows, then where they are of how many.
        #expect(b.line(5) == "host               eth1                9410      0.0 rx-0      0-3             0")
        #expect(b.line(18).hasSuffix(" rx-13     0-3            13"))
        #expect(b.line(19) == "rows 1-14 of 40 · ↑/↓ scroll · / filter · s sort                                ")
        // Scrolled, the top row names the interface it continues.
        st.ifaceScroll = 20
        DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &b)
        #expect(b.line(5) == "host               eth1                9410      0.0 rx-20     0-3            20")
        #expect(b.line(19).hasPrefix("rows 21-34 of 40"))
    }

    @Test func podNamesStandBesideTheirNamespacesAndOddNamesCannotGarbleTheRow() {
        var st = Samples.state(cpus: 2, pods: 2, streams: 0)
        st.sample!.ifaces[2].netns = "ns\u{1B}[31m东"
        var b = Samples.marked(120, 24)
        DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &b)
        // (In the receive path's order: the pods by name, then the other namespaces.)
        #expect(b.line(10).hasPrefix("iperf-server-0 cni-1000 "))
        #expect(b[15, 10].style == Theme.builtin.palette(.c256)[.label])
        #expect(b.line(11).hasPrefix("ns?[31m?    "))
        #expect(b.lines.allSatisfy { $0.unicodeScalars.count == 120 })
    }

    /// A node veth matched to its pod by ifindex shows the pod's name, then where it is.
    @Test func aPodsNodeVethShowsThePodsName() {
        var st = Samples.state(cpus: 2, pods: 1, streams: 0)
        st.sample!.ifaces.insert(InterfaceSample(name: "veth04f8a26a", netns: "", rxBps: 5e9, rxPps: 400_000,
                                                 queues: [QueueState(queue: 0, rpsCPUs: "3", rpsFlowCount: 0)]), at: 1)
        st.vethPods = ["": ["veth04f8a26a": "steer-test/pod1"]]
        var b = Samples.marked(120, 24)
        DashboardView.render(st, theme: .builtin, glyphs: .unicode, into: &b)
        let row = b.lines.first { $0.contains("veth04f8a26a") }
        #expect(row?.hasPrefix("steer-test/pod1 host ") == true, "\(row ?? "no veth row")")
        #expect(b.lines.contains { $0.hasPrefix("host ") && $0.contains(" eth1 ") }, "an interface that is no pod's veth stays the host's")
    }
}

@Suite struct DashboardRendererTests {
    @Test func diffingWholeDashboardsKeepsTheScreenEqualToTheLastFrame() {
        let backend = TestBackend(width: 120, height: 40)
        let r = Renderer(backend: backend)
        var a = Buffer(width: 120, height: 40), b = a
        DashboardView.render(Samples.state(cpus: 16), theme: .builtin, glyphs: .unicode, into: &a)
        var later = Samples.state(cpus: 16)
        later.sample!.cpus[3].soft = 12
        later.sample!.cpus[3].idle += 46
        DashboardView.render(later, theme: .builtin, glyphs: .unicode, into: &b)
        r.render(a)
        backend.reset()
        let sent = r.render(b)
        #expect(sent > 0 && sent < 120)
        b.unifyBlanks()
        #expect(backend.screen == b)
    }
}

extension String {
    /// Offset in scalars of the first occurrence of `s`.
    func distance(of s: String) -> Int? {
        let a = Array(unicodeScalars), b = Array(s.unicodeScalars)
        guard b.count <= a.count else { return nil }
        for i in 0...(a.count - b.count) where Array(a[i..<(i + b.count)]) == b { return i }
        return nil
    }
}
