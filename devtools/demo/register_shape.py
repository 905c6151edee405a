"""The shape of the demo register: the shares and weights suppliers are drawn with (country, category, tier,
status, commodity, ratings, overrides) and the word lists their names, contacts and reasons come from.
"""

from __future__ import annotations

from suppliers.models import Contact


def _pairs(text: str, cast=int) -> dict:
    return {key: cast(value) for key, value in (pair.split(":") for pair in text.split())}


def _words(text: str) -> list[str]:
    return text.split()


MAINLAND_CHINA_SHARE = 0.89
# The other 11%, weighted roughly like an electronics maker's supply base.
OTHER_COUNTRIES = _pairs("TW:26 VN:16 IN:11 JP:10 KR:9 MY:7 TH:5 HK:5 US:5 MX:4 DE:3 SG:2 PH:2")
PRODUCTION_SHARE = 0.75
TIER2_SHARE_OF_PRODUCTION = 0.27  # about 20% of all suppliers
STATUS_WEIGHTS = _pairs("admitted:86 candidate:3 screening:4 suspended:2 rejected:2 exited:3")
VAP_SHARE = 0.30
OVERRIDE_SHARE = 0.015  # admitted suppliers the ESG manager has put on high risk by hand

PRODUCTION_COMMODITIES = _pairs(
    "final-assembly:4 pcb:8 battery:5 display:5 semiconductors:6 mechanical-parts:14 plastics:10 "
    "electronic-components:16 cables-connectors:8 camera-modules:5 chemicals:6 packaging:10"
)
NON_PRODUCTION_COMMODITIES = _pairs("logistics:30 facility-services:25 it-services:25 marketing:20")
BUSINESS_WORDS = {
    "final-assembly": "Electronics Manufacturing",
    "pcb": "Circuit Technology",
    "battery": "New Energy",
    "display": "Optoelectronics",
    "semiconductors": "Microelectronics",
    "mechanical-parts": "Precision Metal",
    "plastics": "Plastic Products",
    "electronic-components": "Electronic Components",
    "cables-connectors": "Connector Technology",
    "camera-modules": "Optical Technology",
    "chemicals": "New Materials",
    "packaging": "Packaging",
    "logistics": "Supply Chain",
    "facility-services": "Property Services",
    "it-services": "Information Technology",
    "marketing": "Culture Media",
}

# country: (cities, name stems, legal suffix, phone prefix, local currency)
COUNTRIES = {
    "CN": (
        "Shenzhen Dongguan Suzhou Kunshan Shanghai Huizhou Zhuhai Ningbo Wuxi Chongqing Chengdu Xiamen Hefei "
        "Wuhan Zhengzhou Changsha Foshan Guangzhou Tianjin Qingdao Hangzhou Nanjing Jiangmen Zhongshan",
        "Hua Xin Tai Jia Long Sheng Feng Hong Da Rui Yuan Hai Tian Jin Heng Cheng Kang Mei An Bo Chuang De "
        "Fu Guang Hao Li Ming Qi Wei Xiang Yi Zhi Zhong Shun Yao Jun",
        "Co., Ltd.",
        "+86",
        "CNY",
    ),
    "TW": (
        "Hsinchu Taoyuan Taichung New-Taipei Tainan Kaohsiung",
        "Chin Hsin Kuang Yung Tai Shun Fu Chia Ho Wei Lien Ting",
        "Corp.",
        "+886",
        "TWD",
    ),
    "HK": (
        "Kowloon Kwun-Tong Tsuen-Wan Sha-Tin",
        "Chin Hsin Kuang Yung Tai Shun Fu Chia Ho Wei Lien Ting",
        "Limited",
        "+852",
        "HKD",
    ),
    "VN": (
        "Bac-Ninh Hai-Phong Thai-Nguyen Binh-Duong Dong-Nai Hanoi",
        "Viet Thanh Phu Minh An Hoa Tien Phat Dai",
        "Vietnam Co., Ltd.",
        "+84",
        "VND",
    ),
    "IN": (
        "Chennai Noida Bengaluru Pune Sriperumbudur Hyderabad",
        "Shree Bharat Sai Surya Laxmi Ganesh Kiran Ashok Vishal Navin",
        "Pvt. Ltd.",
        "+91",
        "INR",
    ),
    "JP": (
        "Osaka Nagoya Yokohama Kyoto Hamamatsu Sendai",
        "Kyowa Sanwa Daiichi Tokai Hokuto Meisei Asahi Koyo Shinwa Taisei",
        "Co., Ltd.",
        "+81",
        "JPY",
    ),
    "KR": (
        "Suwon Gumi Cheonan Incheon Changwon",
        "Hanil Daesung Samjin Woori Seoyon Hanmi Jinyoung Dongil Sewon Kukdong",
        "Co., Ltd.",
        "+82",
        "KRW",
    ),
    "MY": (
        "Penang Johor-Bahru Kulim Ipoh",
        "Permata Mega Jaya Sinar Cahaya Bintang Maju Setia",
        "Sdn. Bhd.",
        "+60",
        "MYR",
    ),
    "TH": (
        "Rayong Ayutthaya Chonburi Pathum-Thani",
        "Siam Chao Rattana Sombat Kasem Prasert",
        "Co., Ltd.",
        "+66",
        "THB",
    ),
    "SG": ("Singapore", "Merlion Orchid Harbour Lion Straits", "Pte. Ltd.", "+65", "SGD"),
    "PH": ("Laguna Cebu Batangas", "Luzon Mabuhay Bayani Tala Dakila", "Inc.", "+63", "PHP"),
    "MX": (
        "Guadalajara Monterrey Tijuana Juarez",
        "Sierra Bajio Azteca Norte Pacifico",
        "S.A. de C.V.",
        "+52",
        "MXN",
    ),
    "US": (
        "Austin San-Jose Phoenix Portland Columbus",
        "Summit Pioneer Cascade Lakeside Keystone Redwood Granite",
        "Inc.",
        "+1",
        "USD",
    ),
    "DE": (
        "Stuttgart Munich Dresden Nuremberg Hamburg",
        "Rhein Nord Berg Schwarz Weiss Linden Adler Falken",
        "GmbH",
        "+49",
        "EUR",
    ),
}
USD_RATES = _pairs(
    "USD:1 CNY:0.14 EUR:1.08 JPY:0.0067 KRW:0.00073 TWD:0.031 HKD:0.128 INR:0.012 VND:0.000039 MYR:0.22 "
    "THB:0.029 MXN:0.055 PHP:0.017 SGD:0.75",
    float,
)

CHINESE_FAMILY = _words("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao")
CHINESE_GIVEN = _words(
    "Wei Fang Na Min Jing Lei Yan Jun Yong Jie Tao Ming Chao Xiu Hui Ping Gang Hong Ying Bin"
)
OTHER_FAMILY = _words(
    "Nguyen Tran Sharma Patel Tanaka Suzuki Kim Park Tan Lim Garcia Lopez Smith Miller Weber"
)
OTHER_GIVEN = _words(
    "Anh Linh Priya Rahul Yuki Kenji Minjun Seoyeon Ahmad Maria Carlos Emily Michael Anna Jose"
)
# (family, given) names of buyer01..buyer10
BUYER_NAMES = [
    n.split(".")
    for n in _words("Li.Na Wang.Jun Zhang.Min Chen.Tao Liu.Yan Zhao.Lei Huang.Jing Zhou.Bin Wu.Fang Xu.Hui")
]
CONTACT_ROLES = [Contact.Role.SALES, Contact.Role.QUALITY, Contact.Role.EHS, Contact.Role.MINERALS,
                 Contact.Role.MANAGEMENT]  # fmt: skip

SUSPENSION_REASONS = [
    "Priority finding not rectified within 30 days; suspended pending a follow-up audit.",
    "Corrective action plan overdue for more than 30 days; flagged at escalation stage 3.",
    "Monthly rectification progress reports missing for three months.",
]
EXIT_REASONS = [
    "Business relationship ended: part discontinued.",
    "Consolidated into another supplier after a sourcing review.",
    "Repeated red-line issue (untrue working-hour records); relationship terminated.",
]
REJECTION_REASONS = [
    ("Open red-line finding: wages below the local legal minimum. Not admitted until rectified.", True),
    ("Open red-line finding: unmanaged fire hazards in the warehouse. Not admitted until rectified.", True),
    ("No ESG evidence: no RBA VAP report, and the onboarding audit was not passed.", False),
    ("CSR Agreement not signed after three requests.", False),
]
OVERRIDE_REASONS = [
    "Media report of forced overtime at the supplier's main site; special investigation planned.",
    "Customer complaint about hazardous waste handling; high risk until the follow-up audit.",
    "Sub-supplier linked to an RMAP non-conformant smelter; due diligence in progress.",
]
