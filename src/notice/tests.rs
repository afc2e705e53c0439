use super::*;

fn keys(text: &str) -> Vec<String> {
    doc_numbers(text).into_iter().map(|d| d.key).collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn chinese_announcements_in_every_spelling_share_one_key() {
    for text in [
        "商务部公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定",
        "商务部 海关总署公告2026年第61号",
        "商务部、海关总署公告 2026年 第61号",
        "根据2026年第61号公告，",
        "商务部公告（2026年）第061号",
    ] {
        assert_eq!(keys(text), ["announcement:2026:61"], "{text}");
    }
    let d = &doc_numbers("商务部 海关总署公告2026年第61号")[0];
    assert_eq!(d.issuers, ["mofcom", "gacc"]);
    assert_eq!(keys("商务部令2026年第1号"), ["order:2026:1"]);
}

#[test]
fn english_citations_share_the_chinese_key() {
    for text in [
        "MOFCOM Announcement No. 61 of 2026 adds controls on heavy rare earths",
        "China's commerce ministry said in Announcement [2026] No. 61 that",
        "under announcement no 61 of 2026, exporters must apply",
        "Announcement 2026 No. 61",
    ] {
        assert_eq!(keys(text), ["announcement:2026:61"], "{text}");
    }
    assert_eq!(
        doc_numbers("MOFCOM Announcement No. 61 of 2026")[0].issuers,
        ["mofcom"]
    );
    assert!(doc_numbers("Announcement [2026] No. 61")[0].issuers.is_empty());
}

#[test]
fn file_numbers_federal_register_and_eu_regulations() {
    assert_eq!(
        keys("关于印发《通知》的通知 商贸发〔2024〕012号"),
        ["商贸发:2024:12"]
    );
    assert_eq!(keys("国发[2025]3号"), ["国发:2025:3"]);
    assert_eq!(
        keys("[FR Doc. 2024-29084 Filed 12-2-24] RIN 0694-AJ74"),
        ["fr-doc:2024-29084", "rin:0694-AJ74"]
    );
    assert_eq!(
        keys("https://www.federalregister.gov/d/2024-29084"),
        ["fr-doc:2024-29084"]
    );
    assert_eq!(
        keys("amending Regulation (EU) 2021/821 by Delegated Regulation (EU) 2024/2547"),
        ["eu-reg:2021/821", "eu-reg:2024/2547"]
    );
    assert_eq!(keys("Council Regulation (EC) No 428/2009"), ["eu-reg:2009/428"]);
    assert!(keys("China exported 2,026 tonnes in 61 shipments; call 2024-29084").is_empty());
}

#[test]
fn a_different_number_is_a_different_event() {
    let n61 = doc_numbers("商务部公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定");
    let n62 = doc_numbers("商务部公告2026年第62号 关于对部分中重稀土相关物项实施出口管制的决定");
    let en61 = doc_numbers("MOFCOM Announcement No. 61 of 2026 puts heavy rare earths under export control");
    let plain = doc_numbers("China tightens rare earth exports");
    assert_eq!(identity(&n61, &en61), Identity::Same);
    assert_eq!(identity(&n61, &n62), Identity::Different);
    assert_eq!(identity(&en61, &n62), Identity::Different);
    assert_eq!(identity(&n61, &plain), Identity::Unknown);
    // The same number from other bodies is another document.
    let gacc61 = doc_numbers("海关总署公告2026年第61号");
    assert_eq!(
        identity(&doc_numbers("商务部公告2026年第61号"), &gacc61),
        Identity::Different
    );
    // A joint notice is the same document as either body's citation of it.
    let joint = doc_numbers("商务部 海关总署公告2026年第61号");
    assert_eq!(identity(&joint, &gacc61), Identity::Same);
    // Numbers of different kinds say nothing about each other.
    assert_eq!(identity(&n61, &doc_numbers("RIN 0694-AJ74")), Identity::Unknown);
}

#[test]
fn effective_dates_in_chinese_and_english() {
    let pubd = Some(date(2026, 11, 20));
    assert_eq!(
        effective_date("本公告自2026年12月1日起正式实施。", pubd),
        Some(Effective::On(date(2026, 12, 1)))
    );
    assert_eq!(
        effective_date("自12月1日起施行", pubd),
        Some(Effective::On(date(2026, 12, 1)))
    );
    // A month-day that would be long before publication is next year's.
    assert_eq!(
        effective_date("自1月1日起执行", pubd),
        Some(Effective::On(date(2027, 1, 1)))
    );
    assert_eq!(
        effective_date("本公告自公布之日起施行。", pubd),
        Some(Effective::OnPublication)
    );
    assert_eq!(
        effective_date("The rule is effective December 1, 2026.", pubd),
        Some(Effective::On(date(2026, 12, 1)))
    );
    assert_eq!(
        effective_date("The controls take effect on 1 December 2026", pubd),
        Some(Effective::On(date(2026, 12, 1)))
    );
    assert_eq!(
        effective_date("export permits will be required starting Dec. 1", pubd),
        Some(Effective::On(date(2026, 12, 1)))
    );
    assert_eq!(
        effective_date("This rule is effective immediately.", pubd),
        Some(Effective::OnPublication)
    );
    assert_eq!(effective_date("Effective Marketing for small firms", pubd), None);
    assert_eq!(effective_date("No date here.", pubd), None);
    // Without a year or a publication date there is nothing to anchor the date to.
    assert_eq!(effective_date("自12月1日起施行", None), None);
}

#[test]
fn attachments_are_absolute_http_links_to_documents() {
    let base = url::Url::parse("https://www.mofcom.gov.cn/zwgk/zcfb/art/2026/art_61.html").unwrap();
    let html = r#"<p>附件：<a href="./P020261201.pdf">管制物项清单</a>
        <a href='/files/form.DOCX'>申请表</a> <a href=list.xls>list</a>
        <a href="javascript:alert(1)//x.pdf">x</a> <a href="https://e.test/page.html">page</a>
        <a href="./P020261201.pdf">again</a> <a href="file:///etc/passwd.pdf">local</a>
        <a href="a.pdf?x=1&amp;y=2">query</a></p>"#;
    assert_eq!(
        attachments(html, Some(&base)),
        [
            "https://www.mofcom.gov.cn/zwgk/zcfb/art/2026/P020261201.pdf",
            "https://www.mofcom.gov.cn/files/form.DOCX",
            "https://www.mofcom.gov.cn/zwgk/zcfb/art/2026/list.xls",
            "https://www.mofcom.gov.cn/zwgk/zcfb/art/2026/a.pdf?x=1&y=2",
        ]
    );
    assert!(attachments(html, None).is_empty(), "relative links need a base");
}

#[test]
fn numbers_read_back_as_they_were_stored() {
    let found = doc_numbers("商务部 海关总署公告2026年第61号，依据 Federal Register Doc. 2024-29084");
    assert!(!found.is_empty());
    assert_eq!(decode(&encode(&found)), found);
    assert_eq!(decode(""), Vec::<DocNumber>::new());
    assert_eq!(
        decode("announcement:2026:61@mofcom+nobody"),
        vec![DocNumber {
            key: "announcement:2026:61".into(),
            issuers: vec!["mofcom"],
        }]
    );
}
