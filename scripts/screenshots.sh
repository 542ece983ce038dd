#!/usr/bin/env bash
# Screenshots of the admin console (var/screenshots/console-*.png): builds the release binary, runs anju
# on a temporary copy of the demo config (config/anju.json with its own store and an admin token),
# seeds about thirty realistic complaints through the admin API (and one through the WeChat simulator,
# so a resident confirms and rates it), then lets headless Chromium photograph the ticket list, a
# ticket's page, the live view and the monthly report. Stops anju and removes the temporary files.
#   ANJU_BUILD_DIR   build folder to use (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${ANJU_BUILD_DIR:-build/release}
out=var/screenshots

scripts/deps.sh --test
if [ ! -f "$build/build.ninja" ]; then
    cmake --preset release -B "$build" >/dev/null
fi
cmake --build "$build" --target anju anju_wechat_bench

tmp=$(mktemp -d)
anju_pid=""
cleanup() {
    if [ -n "$anju_pid" ]; then
        kill -INT "$anju_pid" 2>/dev/null || true
        wait "$anju_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# The demo config with a store in the temporary folder, any free port, and the dialogs found from here.
token="shots-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
sed -E -e 's#"port": *[0-9]+#"port": 0#' \
    -e "s#\"path\": *\"var/anju.db\"#\"path\": \"$tmp/anju.db\"#" \
    -e "s#\"dir\": *\"dialogs\"#\"dir\": \"$root/config/dialogs\"#" \
    config/anju.json >"$tmp/anju.json"
ANJU_ADMIN_TOKEN=$token "$build/bot/anju" serve --config "$tmp/anju.json" 2>"$tmp/anju.log" &
anju_pid=$!
base=""
for _ in $(seq 1 100); do
    base=$(grep -o 'running on http://127\.0\.0\.1:[0-9]*' "$tmp/anju.log" | head -1 | sed 's/running on //' || true)
    [ -n "$base" ] && break
    kill -0 "$anju_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$base" ]; then
    echo "screenshots: anju did not start:" >&2
    cat "$tmp/anju.log" >&2
    exit 1
fi
echo "screenshots: anju is running on $base" >&2

api() { # METHOD PATH [JSON]
    curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$base$2"
}
file() { # ROOM TEXT [NAME] [PHONE] -> prints the code
    api POST /api/v1/tickets "{\"room\": \"$1\", \"text\": \"$2\", \"name\": \"${3:-}\", \"phone\": \"${4:-}\"}" |
        sed -n 's/^  "code": "\([A-Z0-9]*\)".*/\1/p'
}
act() { # CODE ACTOR ACTION [TEXT] [TO]
    local answer
    if ! answer=$(api POST "/api/v1/tickets/$1/actions" \
        "{\"action\": \"$3\", \"as\": \"$2\", \"text\": \"${4:-}\", \"to\": \"${5:-}\"}"); then
        echo "screenshots: $3 on $1 as $2 was refused: $answer" >&2
        exit 1
    fi
}
resident() { # TEXT: one message from a WeChat resident (the demo account's simulator)
    "$build/bench/anju_wechat_bench" --url "$base/wechat/mp/demo" --residents 1 --send "$1"
}

# The demo community's staff (config/anju.json): demo-engineer 张工, demo-security 王保安, demo-butler 陈管家,
# demo-cs 许客服, demo-supervisor 赵主管, demo-pm 刘经理.
lift=$(file 3-2-501 "电梯困人了，有人被关在里面，按了警铃没人应" 王女士 13800001111)
burst=$(file 7-1-1202 "水管爆了，家里全是水，楼下也在漏" 刘先生 13900002222)
act "$lift" demo-engineer claim
act "$lift" demo-engineer arrive
act "$lift" demo-supervisor escalate "困人超过十分钟，业主情绪激动"
act "$lift" demo-supervisor note "已通知维保单位奥的斯到场，预计二十分钟"
act "$lift" demo-engineer progress "已放出被困人员，正在排查门机故障"
seepage=$(file 5-1-302 "楼上渗水，天花板都湿了，墙皮开始掉" 陈阿姨 13700003333)
act "$seepage" demo-engineer claim
act "$seepage" demo-engineer plan "明天上午上门检查楼上卫生间防水，需业主在家"
noise=$(file 2-2-601 "楼上装修太吵了，中午也在打电钻" 周先生)
act "$noise" demo-security claim
act "$noise" demo-security resolve "已上门提醒装修户遵守施工时间"
parking=$(file 6-1-101 "有车堵在单元门口出不去" 吴女士)
act "$parking" demo-security claim
act "$parking" demo-security arrive
act "$parking" demo-security resolve "已联系车主挪车"
act "$parking" demo-cs confirm
act "$parking" demo-cs close "业主电话确认已解决"
butler=$(file 8-1-702 "管家不回消息，问了三天都没人理" 郑先生)
act "$butler" demo-butler claim
act "$butler" demo-supervisor transfer "" demo-cs
fee=$(file 1-1-101 "物业费收费不合理，公摊面积算多了" 孙先生)
act "$fee" demo-cs claim
act "$fee" demo-cs progress "已调取房屋面积测绘资料，三个工作日内回复"
garbage=$(file 4-2-402 "垃圾好几天没人清理，楼道里都是味道")
gate=$(file 9-1-101 "门禁坏了刷不开，只能等别人开门")
act "$gate" demo-engineer claim
light2=$(file 10-2-301 "地下车库的灯坏了一排，晚上很黑")
stranger=$(file 11-1-502 "有陌生人尾随进小区，在楼道里转悠")
act "$stranger" demo-security claim
act "$stranger" demo-security arrive
pressure=$(file 12-1-901 "这两天水压很小，洗澡都不出水")
act "$pressure" demo-engineer claim
act "$pressure" demo-engineer plan "更换加压泵配件，周五前完成"
attitude=$(file 3-1-202 "客服态度差，电话里很不耐烦")
act "$attitude" demo-supervisor note "已约业主周六当面沟通"
fire=$(file 5-2-101 "消防通道被电动车占了，堆了好多杂物")
act "$fire" demo-security claim
lift2=$(file 7-2-1501 "电梯异响，晚上声音很大，担心安全" 黄女士)
act "$lift2" demo-engineer claim
act "$lift2" demo-engineer plan "已报维保公司，周四上午检修曳引机"
for spec in "1-2-302|楼道灯不亮了" "2-1-1101|晚上广场舞音响太吵了" "4-1-201|停车费多收了一个月" \
    "6-2-803|小区绿化带没人修剪，蚊子很多" "8-2-1002|快递柜坏了取不出快递" "9-2-605|楼上半夜总有拖椅子的声音" \
    "10-1-1203|窗户漏风，物业说不管" "11-2-102|单元门闭门器坏了，门一直开着" "12-2-1402|地库入口的道闸抬不起来" \
    "2-2-203|楼道里堆满了纸箱和旧家具" "4-2-1101|小区路灯坏了好几盏" "6-1-404|健身器材坏了好久没修" \
    "7-1-305|电梯按钮失灵，按了不亮" "9-1-1203|家里突然停电了，别的房间也没电"; do
    code=$(file "${spec%%|*}" "${spec#*|}")
    case "${spec%%|*}" in
        1-2-302 | 8-2-1002 | 12-2-1402) act "$code" demo-engineer claim ;;
        2-1-1101 | 9-2-605) act "$code" demo-security claim ;;
    esac
done
# A resident on WeChat: reports, confirms the repair and rates it.
resident "3栋2单元602楼道灯不亮了" >/dev/null
rated=$(resident "对" | sed -n 's/.*工单号：\([A-Z0-9]*\).*/\1/p')
if [ -n "$rated" ]; then
    act "$rated" demo-engineer claim
    act "$rated" demo-engineer resolve "已更换楼道感应灯"
    resident "已解决" >/dev/null
    resident "满意" >/dev/null
else
    echo "screenshots: the WeChat simulator did not file a ticket; no rated ticket in the shots" >&2
fi
echo "screenshots: seeded $(api GET '/api/v1/tickets?limit=1000' | grep -c '"code": "') tickets" >&2

mkdir -p "$out"
# The report sits in a sandboxed iframe; headless Chromium puts those in their own process and leaves
# them out of screenshots, hence --disable-features=IsolateSandboxedIframes (browsers show it anyway).
shot() { # NAME ROUTE [HEIGHT]
    local profile="$tmp/chromium-$1"
    mkdir -p "$profile"
    TZ=Asia/Shanghai timeout 60 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --no-first-run --no-default-browser-check --disable-background-networking --disable-component-update \
        --disable-sync --disable-extensions --hide-scrollbars --user-data-dir="$profile" \
        --disable-features=IsolateSandboxedIframes --lang=zh-CN \
        --virtual-time-budget=10000 --window-size=1366,"${3:-900}" --screenshot="$out/console-$1.png" \
        "$base/console/#token=$token&as=demo-supervisor&$2" 2>/dev/null
    echo "screenshots: $out/console-$1.png" >&2
}
shot tickets "/tickets"
shot ticket "/ticket/$lift" 1300
shot live "/live"
month=$(TZ=Asia/Shanghai date +%Y-%m)
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
    "$base/api/v1/reports/monthly?month=$month&format=html")
if [ "$status" = 200 ]; then
    shot report "/report?month=$month" 1300
else
    echo "screenshots: GET /api/v1/reports/monthly answered $status; no report shot" >&2
fi
