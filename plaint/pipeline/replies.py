"""The visible part of a reply: what the sender wrote, without the quoted history below it
and without a signature.

The history starts at the first of:

* an attribution line, "On <date>, <name> wrote:" and its translations (在…写道：, Le … a
  écrit :, Am … schrieb …:, …), also when the client wrapped it over two or three lines;
* a separator line ("-----Original Message-----", "----- 原始邮件 -----", "--- Forwarded
  message ---", a line of underscores) followed by a header block, or on its own;
* a header block: a "From:" line (发件人:, Von:, De :, …) followed within a few lines by
  another header of the quoted mail (Sent:, Date:, To:, Subject:, 发送时间:, 主题:, …).
  A single line starting ``From:`` in the text a resident wrote is *not* a quote;
* a run of ``>`` quoted lines that nothing but more quotes or blank lines follows.

Signatures: everything below a "-- " delimiter, and a closing line such as "-Name" or
"Sent from my iPhone" / "发自我的iPhone" at the very end.
"""

from __future__ import annotations

import re

__all__ = ["visible_reply"]

# How far below a "From:" line the next header of the quoted block may be, in lines.
_HEADER_BLOCK_SPAN = 4
# How many physical lines an attribution ("On … wrote:") may be wrapped over.
_ATTRIBUTION_SPAN = 4

_FROM = (
    r"from|发件人|發件人|寄件者|寄件人|de|von|van|da|od|fra|från|lähettäjä|от|差出人|afzender"
    r"|remetente|mittente|nadawca|message du|fra"
)
_OTHER_HEADERS = (
    r"sent|date|to|subject|cc|reply-to|发送时间|發送時間|时间|日期|收件人|抄送|主题|主旨|"
    r"envoyé|date d'envoi|à|objet|gesendet|datum|an|betreff|verzonden|aan|onderwerp|inviato"
    r"|oggetto|a|wysłano|data|do|temat|sendt|til|emne|skickat|ämne|enviado|enviada|para"
    r"|assunto|asunto|fecha|lähetetty|vastaanottaja|aihe|отправлено|кому|тема|дата"
    r"|送信日時|宛先|件名|日時|copie|sujet|dato|emne|cc"
)
_HEADER_LINE = re.compile(rf"^\**\s*(?:{_FROM})\s*\**\s*[:：]", re.IGNORECASE)
_OTHER_HEADER_LINE = re.compile(rf"^\**\s*(?:{_OTHER_HEADERS})\s*\**\s*[:：]", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^[-=_—\s]*(?:原始邮件|原始郵件|邮件原件|original message|forwarded message|"
    r"ursprüngliche nachricht|message d'origine|message transféré|oorspronkelijk bericht|"
    r"doorgestuurd bericht|messaggio originale|mensaje original|mensagem original|"
    r"wiadomość oryginalna|oryginalna wiadomość|original meddelelse|videresendt meddelelse|"
    r"opprinnelig melding|originalmeddelande|ursprungligt meddelande|alkuperäinen viesti|"
    r"исходное сообщение|пересылаемое сообщение|転送されたメッセージ|元のメッセージ|"
    r"回复的原邮件|转发的邮件|oprindelig besked)[-=_—\s]*$"
    r"|^-{2,}\s*[^\W\d_][\w' ]{2,40}\s*-{2,}$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^_{8,}\s*$|^-{8,}\s*$|^={4,}\s*$")
# Any language: a line naming an address and a date that ends in a colon ("26.06.2014,
# 14:41, "Alexander L" <abc@example.com>:").
_GENERIC_ATTRIBUTION = re.compile(r"^(?=.*\d)(?=.*\S@\S).{8,300}[:：]$")
_ATTRIBUTION = re.compile(
    r"^(?:>?\s*)(?:"
    r"on\b.{2,300}\bwrote\s*:?"
    r"|在.{2,300}写道\s*[:：]|.{0,300}写道\s*[:：]|.{0,300}寫道\s*[:：]"
    r"|le\b.{2,300}\ba écrit\s*:"
    r"|am\b.{2,300}\bschrieb.{0,80}:"
    r"|.{2,300}\bschrieb\b.{0,80}:"
    r"|op\b.{2,300}\bschreef.{0,80}:"
    r"|el\b.{2,300}\bescribió\s*:"
    r"|il\b.{2,300}\bha scritto\s*:"
    r"|em\b.{2,300}\bescreveu\s*:"
    r"|w dniu\b.{2,300}\b(?:napisał|napisała|pisze)\S*\s*:"
    r"|den\b.{2,300}\bskrev.{0,80}:"
    r"|.{2,300}\b(?:skrev|kirjoitti|написал|написала|написал\(а\))\s*:"
    r"|.{2,300}(?:のメッセージ|は書きました|さんは書きました)\s*[:：]"
    r")\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_OPENING = re.compile(r"^(?:on|le|am|el|il|em|op|w dniu|den|在)\b", re.IGNORECASE)
_SIGNATURE_DELIMITER = re.compile(r"^(?:-- ?|--\s*|__)$")
_CLOSING_LINE = re.compile(r"^-\s?[A-Z][\w.]*(?: [A-Z][\w.]*){0,3}$")
# "Sent from my iPhone" and its kin: the end of what was written, wherever it stands.
_MOBILE_SIGNATURE = re.compile(
    r"^(?:sent from|sent with|get|gesendet von|envoyé de|envoyé à partir de|enviado desde"
    r"|inviato da)(?: my| mon| meinem| mi)? [\w ]{1,30}(?:<[^>]*>|\([^)]*\))?$"
    r"|^(?:发自我的\S+|从我的\S+发送|von meinem \S+ gesendet)$",
    re.IGNORECASE,
)


def _is_header_line(line: str) -> bool:
    return _HEADER_LINE.match(line) is not None or _OTHER_HEADER_LINE.match(line) is not None


def _is_header_block(lines: list[str], index: int) -> bool:
    """A From line with another header close below it (blank lines between allowed), or
    any three header lines in a row."""
    following = [line for line in lines[index + 1 :] if line][:_HEADER_BLOCK_SPAN]
    if _HEADER_LINE.match(lines[index]):
        return any(_OTHER_HEADER_LINE.match(line) for line in following)
    if not _OTHER_HEADER_LINE.match(lines[index]):
        return False
    return len(following) >= 2 and all(_is_header_line(line) for line in following[:2])


def _attribution_in(lines: list[str]) -> bool:
    if any(line.startswith(">") for line in lines):
        return False
    joined = " ".join(lines)
    return _ATTRIBUTION.match(joined) is not None or _GENERIC_ATTRIBUTION.match(joined) is not None


def _is_attribution(lines: list[str], index: int) -> bool:
    """An attribution starts at ``index`` (wrapped over at most a few non-blank lines, and
    not one that starts on a later line)."""
    for span in range(1, _ATTRIBUTION_SPAN + 1):
        chunk = lines[index : index + span]
        if len(chunk) < span or not chunk[-1]:
            return False
        if _attribution_in(chunk):
            return span == 1 or not _attribution_in(chunk[1:]) or _opens(chunk[0])
    return False


def _opens(line: str) -> bool:
    """Whether ``line`` reads as the start of a wrapped attribution, not as text above one."""
    return (
        "@" in line
        or line.endswith(("<", ",", "("))
        or _ATTRIBUTION_OPENING.match(line) is not None
    )


def _is_separator(lines: list[str], index: int) -> bool:
    if _SEPARATOR.match(lines[index]):
        return True
    if _UNDERSCORES.match(lines[index]):
        rest = [line for line in lines[index + 1 : index + 4] if line]
        return bool(rest) and _is_header_line(rest[0])
    return False


def _quote_start(lines: list[str]) -> int:
    """The index of the first line of the quoted history (``len(lines)`` when none)."""
    for index, line in enumerate(lines):
        if not line:
            continue
        if _is_separator(lines, index) or _is_header_block(lines, index):
            return index
        if _is_attribution(lines, index) or (index > 0 and _MOBILE_SIGNATURE.match(line)):
            return index
        if line.startswith(">") and all(not rest or rest.startswith(">") for rest in lines[index:]):
            return index
    return len(lines)


def _without_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if _SIGNATURE_DELIMITER.match(line) and index > 0:
            lines = lines[:index]
            break
    content = [i for i, line in enumerate(lines) if line]
    if len(content) > 1 and _CLOSING_LINE.match(lines[content[-1]]):
        lines = lines[: content[-1]]
    return lines


def visible_reply(body: str) -> str:
    """Return what the sender of ``body`` wrote: the text above the quoted history, without
    a signature, right-stripped. A body that is nothing but a quote stays as it is."""
    raw_lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [line.strip() for line in raw_lines]
    cut = _quote_start(lines)
    kept = raw_lines[:cut]
    if not any(line.strip() for line in kept):  # bottom-posted: the text below the quote
        kept = [raw for raw, line in zip(raw_lines, lines, strict=True)
                if not line.startswith(">")][1:]  # fmt: skip
        if not any(line.strip() for line in kept):
            return body.strip()
    stripped = _without_signature([line.strip() for line in kept])
    return "\n".join(line.rstrip() for line in kept[: len(stripped)]).strip()
