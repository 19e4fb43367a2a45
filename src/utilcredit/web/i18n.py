"""Console texts, Chinese first with an English switch (cookie ``lang``)."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "lang"

CATALOG: dict[str, tuple[str, str]] = {
    "app.title": ("供水供电客户信用管理", "Utility customer credit"),
    "nav.dashboard": ("总览", "Dashboard"),
    "nav.search": ("客户查询", "Customers"),
    "nav.overrides": ("等级调整", "Overrides"),
    "nav.imports": ("数据导入", "Imports"),
    "nav.runs": ("评级运行", "Rating runs"),
    "nav.policies": ("评价标准", "Criteria"),
    "nav.api": ("API 文档", "API docs"),
    "nav.logout": ("退出", "Log out"),
    "lang.switch": ("English", "中文"),
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误", "Wrong user name or password"),
    "login.throttled": (
        "登录失败次数过多，已暂时锁定，请稍后再试或联系管理员",
        "Too many failed logins: locked for now, try again later or ask an administrator",
    ),
    "dashboard.title": ("信用等级总览", "Credit levels"),
    "dashboard.distribution": ("等级分布", "Level distribution"),
    "dashboard.by_area": ("按区域", "By area"),
    "dashboard.trend": ("历次评级趋势", "Trend over rating runs"),
    "dashboard.transitions": ("等级变动（最近一次运行）", "Transitions (latest run)"),
    "dashboard.live": ("实时计算", "computed live"),
    "dashboard.too_large": (
        "主体数超过实时统计上限，请查看评级运行结果",
        "Too many subjects to compute live; see the rating runs",
    ),
    "dashboard.subjects": ("主体数", "Subjects"),
    "common.none": ("暂无", "None"),
    "common.no_runs": (
        "暂无评级运行记录（评级运行模块接入后显示）",
        "No rating runs yet (shown once the rating-runs module is connected)",
    ),
    "common.previous": ("上一页", "Previous"),
    "common.next": ("下一页", "Next"),
    "common.search": ("查询", "Search"),
    "common.as_of": ("评价日期", "As of"),
    "common.policy": ("评价标准", "Policy"),
    "common.utility": ("供应类型", "Utility"),
    "common.area": ("区域", "Area"),
    "common.level": ("等级", "Level"),
    "common.count": ("数量", "Count"),
    "common.submit": ("提交", "Submit"),
    "common.download": ("下载", "Download"),
    "common.status": ("状态", "Status"),
    "common.date": ("日期", "Date"),
    "common.amount": ("金额", "Amount"),
    "common.reason": ("理由", "Reason"),
    "common.actions": ("操作", "Actions"),
    "common.error": ("出错了", "Something went wrong"),
    "common.back": ("返回", "Back"),
    "search.title": ("客户查询", "Find a customer"),
    "search.placeholder": ("统一社会信用代码、名称或户号", "Credit code, name or account number"),
    "search.code": ("统一社会信用代码/证件号", "Code"),
    "search.name": ("名称", "Name"),
    "search.kind": ("类型", "Kind"),
    "search.empty": ("没有符合条件的客户", "No matching customer"),
    "subject.title": ("信用档案", "Credit file"),
    "subject.legal_rep": ("法定代表人", "Legal representative"),
    "subject.phone": ("联系电话", "Phone"),
    "subject.address": ("地址", "Address"),
    "subject.show_unmasked": ("显示完整信息（将留痕）", "Show personal data (audited)"),
    "subject.masked_note": ("个人信息已脱敏", "Personal data masked"),
    "subject.level": ("当前等级", "Current level"),
    "subject.computed": ("计算等级", "Computed level"),
    "subject.effective": ("执行等级", "Level in force"),
    "subject.override_in_force": ("人工调整生效中", "Manual override in force"),
    "subject.until": ("至", "until"),
    "subject.explanation": ("评定依据", "Why this level"),
    "subject.all_clauses": ("全部条款", "All clauses"),
    "subject.history": ("等级历史", "Level history"),
    "subject.next_change": ("预计下次变化日", "Next change"),
    "subject.accounts": ("户号", "Accounts"),
    "subject.bills": ("账单", "Bills"),
    "subject.payments": ("缴费", "Payments"),
    "subject.incidents": ("事件", "Incidents"),
    "subject.reports": ("公共信用报告", "Public credit reports"),
    "subject.evidence": ("证据", "Evidence"),
    "subject.opened_on": ("立户日期", "Opened"),
    "subject.payment_mode": ("缴费方式", "Payment mode"),
    "subject.due_on": ("缴费期限", "Due"),
    "subject.paid": ("已缴", "Paid"),
    "subject.period": ("计费周期", "Period"),
    "subject.kind": ("类别", "Kind"),
    "subject.override_request": ("申请调整等级", "Request a level override"),
    "subject.expires_on": ("到期日", "Expires on"),
    "subject.overrides": ("调整记录", "Overrides"),
    "clause.status": ("判定", "Result"),
    "overrides.title": ("等级调整申请", "Override requests"),
    "overrides.approve": ("批准", "Approve"),
    "overrides.reject": ("驳回", "Reject"),
    "overrides.withdraw": ("撤回", "Withdraw"),
    "overrides.note": ("审核意见", "Note"),
    "overrides.requested_by": ("申请人", "Requested by"),
    "overrides.decided_by": ("审核人", "Decided by"),
    "overrides.requested": ("待审核", "Awaiting review"),
    "overrides.all": ("全部", "All"),
    "imports.title": ("数据导入", "Import data"),
    "imports.hint": (
        "文件名即数据类型：subjects、accounts、bills、payments、incidents、reminders、credit_reports（CSV/XLSX/JSONL）",
        "The file name is the kind: subjects, accounts, bills, payments, incidents, reminders, credit_reports (CSV/XLSX/JSONL)",
    ),
    "imports.files": ("选择文件", "Files"),
    "imports.upload": ("上传并导入", "Upload and import"),
    "imports.progress": ("导入进度", "Progress"),
    "imports.done": ("导入完成", "Import finished"),
    "imports.rejects": ("拒收报告", "Reject report"),
    "imports.recent": ("导入记录", "Import runs"),
    "imports.file": ("文件", "File"),
    "imports.kind": ("类型", "Kind"),
    "imports.read": ("读取", "Read"),
    "imports.inserted": ("新增", "Inserted"),
    "imports.updated": ("更新", "Updated"),
    "imports.unchanged": ("未变", "Unchanged"),
    "imports.rejected": ("拒收", "Rejected"),
    "imports.actor": ("操作人", "By"),
    "runs.title": ("评级运行", "Rating runs"),
    "runs.subjects": ("主体数", "Subjects"),
    "policies.title": ("评价标准（公示）", "Published criteria"),
    "policies.effective_from": ("生效日期", "Effective from"),
    "policies.clauses": ("条款数", "Clauses"),
}


@dataclass(frozen=True, slots=True)
class Translator:
    lang: str

    def __call__(self, key: str) -> str:
        texts = CATALOG.get(key)
        if texts is None:
            return key
        return texts[0] if self.lang == "zh" else texts[1]

    def pick(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def message(self, text: str) -> str:
        """A domain message ``中文 / English`` in the current language."""
        zh, sep, en = text.partition(" / ")
        return (zh if self.lang == "zh" else en) if sep else text


def language(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE
