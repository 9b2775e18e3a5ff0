#!/usr/bin/env python3
"""Deterministic generator of prebounce's benchmark corpus.

    python3 bench/gen_corpus.py                       # 1,000,000 lines -> bench/corpus/corpus-1m.txt
    python3 bench/gen_corpus.py --count 10000 --out /tmp/c10k.txt

Standard library only. The seed is fixed (SEED below), so the same Python
3.x produces the same bytes every time; the sha256 printed at the end lets
you check that.  The category of every line is drawn independently from the
weights below, so `--count N` produces exactly the first N lines of the 1M
corpus (`head -n N` of it is equivalent).

One address attempt per line, UTF-8, LF line endings, no empty lines, no
trailing LF-less line.  Lines are never stripped: leading/trailing spaces,
tabs and other control characters are part of the attempt, so a reader must
split on "\\n" only (never `str.splitlines()`, never trim).  The generator
guarantees that no line contains CR, LF or any other character that
`str.splitlines()` would treat as a line break (VT, FF, FS, GS, RS, NEL,
U+2028, U+2029), so `splitlines()` gives the same lines anyway.

Mix (share of lines; the actual shares are printed at the end):

  free        45.0 %  big free providers weighted by rough real popularity
                      (gmail ~1/3 of the category; yahoo, hotmail/outlook/live,
                      icloud, aol, gmx, web.de, mail.ru, yandex, qq, 163,
                      naver, orange, libero, ...).  Local parts come from the
                      name lists below, in the region the provider serves
                      (mail.ru -> Russian transliterated names, qq.com ->
                      mostly QQ numbers, ...).
  corporate   25.0 %  5,000 synthetic but plausible company domains over
                      61 TLDs (acme-logistics.com, nordwind.de,
                      mueller-bau.de, ...), Zipf-weighted; each domain has
                      one house style for local parts (first.last, flast,
                      f.last, first_last42, ...).  ~12 % of this category
                      (~3 % of the corpus) are role accounts (info@, sales@).
  other_valid  5.0 %  ISP, university and government domains, plus RFC-valid
                      oddities (quoted local parts, IP literals, o'reilly,
                      customer/department=shipping, exactly-64-char local
                      part, 63-char labels, long new gTLDs).
  typo         5.0 %  misspelt big providers: gmial.com, gmail.con,
                      hotmial.com, yahooo.com, outlok.com, gmail.co,
                      hotmail.cm, icloud.con, gmail.com.com, ... and
                      generated single-edit variants.
  disposable   4.0 %  mailinator.com, guerrillamail.com, 10minutemail.com,
                      yopmail.com, temp-mail.org, trashmail.com,
                      sharklasers.com, maildrop.cc, getnada.com,
                      dispostable.com, ... and subdomains (x.mailinator.com,
                      alias.33mail.com).
  idn          4.0 %  internationalised domains (bücher.de, münchen.de,
                      例子.中国, пример.рф, ...) in Unicode, upper/mixed case,
                      already-encoded punycode (xn--bcher-kva.de) and, for
                      CJK, with the ideographic full stop (例子。中国).
  smtputf8     2.0 %  non-ASCII local parts (josé@, 用户@, θσερ@, иван@),
                      ~1/4 of them in decomposed (NFD) form, on ASCII and
                      IDN domains.
  invalid     10.0 %  missing @, double @, spaces, trailing dot, consecutive
                      dots, a@b, leading/trailing dot in the local part,
                      65+ char local part, 64+ char label, 255+ char address,
                      display-name form (John <j@x.com>), trailing commas and
                      semicolons / two addresses on one line, unbalanced
                      quotes, control characters, invisible Unicode (ZWSP,
                      NBSP, BOM), bad domain characters, mailto: prefix,
                      full-width @, bare IP, emoji domains, bad punycode.

Modifiers applied on top of the categories (counted in the summary):
  plus        plus-addressing (john+news@gmail.com): ~4.5 % of gmail,
              ~1.5 % of other free, ~1 % of corporate / other_valid.
  case        upper/mixed-case variants (John.Smith@Gmail.com,
              JOHN@GMAIL.COM): ~4 % of free, corporate, other_valid,
              typo and disposable lines.

With --labels (default on), PATH.labels.txt next to the corpus holds, line
for line, "category<TAB>subkind<TAB>modifiers" for each address, so a
benchmark can break its accepted counts down by category.
"""

import argparse
import bisect
import hashlib
import os
import random
import sys
import time
import unicodedata

SEED = 20240917
DEFAULT_COUNT = 1_000_000
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "corpus", "corpus-1m.txt")

CATEGORY_WEIGHTS = [
    ("free", 45.0),
    ("corporate", 25.0),
    ("other_valid", 5.0),
    ("typo", 5.0),
    ("disposable", 4.0),
    ("idn", 4.0),
    ("smtputf8", 2.0),
    ("invalid", 10.0),
]

# Characters that str.splitlines() treats as line boundaries: never emitted.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


class Picker:
    """Weighted choice driven by one rng.random() call (bisect on cumulative weights)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs):
        self.items = [p[0] for p in pairs]
        self.cum = []
        t = 0.0
        for _, w in pairs:
            t += w
            self.cum.append(t)
        self.total = t

    def pick(self, rnd):
        return self.items[bisect.bisect_right(self.cum, rnd() * self.total)]


# --------------------------------------------------------------------------
# Names (ASCII transliterations, as people actually type them in addresses)
# --------------------------------------------------------------------------

def _w(s):
    return tuple(s.split())


FIRST = {
    "en": _w("""james john robert michael william david richard joseph thomas charles
        christopher daniel matthew anthony mark donald steven paul andrew joshua kevin
        brian george timothy ryan jason jeffrey jacob gary nicholas eric jonathan
        stephen justin scott brandon benjamin samuel gregory alexander patrick frank
        jack tyler aaron nathan henry peter adam zachary mary patricia jennifer linda
        elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra
        ashley kimberly emily donna michelle carol amanda melissa deborah stephanie
        rebecca sharon laura cynthia amy kathleen angela emma olivia sophie chloe
        grace lucy hannah megan rachel katie lauren jade ella amelia isla oliver
        harry charlie liam noah ethan mason logan lucas owen connor callum kyle"""),
    "de": _w("""lukas leon finn jonas paul felix maximilian elias ben luis julian tim jan
        niklas moritz tobias florian sebastian stefan thomas andreas michael markus
        christian matthias juergen klaus wolfgang dieter uwe bernd ralf joerg sven
        anna lena lea hannah mia emma sophie laura julia lisa katharina sarah
        johanna marie sabine petra claudia andrea susanne birgit monika ursula
        renate gabriele anke kerstin silke jutta"""),
    "fr": _w("""jean pierre michel philippe alain nicolas christophe patrick francois
        laurent frederic stephane sebastien julien thomas antoine mathieu guillaume
        olivier maxime hugo louis gabriel arthur jules raphael lucas marie nathalie
        isabelle sylvie catherine sophie celine sandrine valerie stephanie aurelie
        camille manon ines lea chloe emma louise alice juliette margaux elodie
        helene gaelle"""),
    "it": _w("""giuseppe giovanni antonio mario luigi francesco angelo vincenzo pietro
        salvatore carlo franco domenico bruno paolo michele giorgio aldo sergio luca
        marco alessandro andrea matteo lorenzo leonardo riccardo davide simone
        federico maria anna giulia francesca chiara sara martina giorgia alessia
        valentina elena laura paola roberta silvia sofia aurora ginevra alice
        beatrice"""),
    "es": _w("""jose antonio manuel francisco juan david javier daniel carlos jesus
        alejandro miguel rafael pablo pedro angel sergio fernando jorge luis alberto
        alvaro diego adrian raul enrique ramon vicente ivan ruben maria carmen ana
        isabel dolores pilar teresa rosa cristina laura marta elena lucia paula
        sara andrea sofia valentina camila daniela gabriela mariana fernanda
        ximena guadalupe"""),
    "pt": _w("""joao jose antonio francisco carlos paulo pedro lucas luiz marcos luis
        gabriel rafael daniel marcelo bruno eduardo felipe rodrigo gustavo thiago
        matheus leonardo guilherme vinicius maria ana francisca antonia adriana
        juliana marcia fernanda patricia aline sandra camila amanda bruna jessica
        leticia julia beatriz larissa vitoria mariana"""),
    "nl": _w("""jan pieter johannes hendrik cornelis willem gerrit dirk sander bas thijs
        daan sem lars ruben joost maarten niels koen bram anna emma sanne lotte
        fleur iris eva femke anouk lieke marieke ingrid annelies mieke saskia"""),
    "nordic": _w("""lars anders johan erik per karl nils jan mikael henrik magnus bjorn
        sven ola jonas mattias oskar emil elias william anna eva maria karin
        kristina lena sara ingrid emma elsa astrid sofia maja freja ida linnea
        mette hanne kirsten sigrid"""),
    "pl": _w("""jan piotr krzysztof andrzej tomasz pawel marcin michal marek grzegorz
        jozef lukasz adam zbigniew jerzy tadeusz mateusz dariusz mariusz wojciech
        anna maria katarzyna malgorzata agnieszka barbara ewa krystyna elzbieta
        zofia joanna magdalena monika aleksandra natalia"""),
    "ru": _w("""aleksandr sergey dmitry andrey alexey maxim evgeny ivan mikhail artem
        nikolai vladimir igor oleg pavel roman denis anton vitaly yuri anna elena
        olga natalia ekaterina tatiana maria irina svetlana yulia anastasia marina
        daria ksenia alina polina victoria lyudmila galina valentina"""),
    "tr": _w("""mehmet mustafa ahmet ali huseyin hasan ibrahim ismail osman yusuf murat
        omer ramazan emre burak can cem kerem fatma ayse emine hatice zeynep elif
        meryem sultan ozlem merve esra busra gul derya"""),
    "ar": _w("""mohammed ahmed ali omar youssef khalid hassan hussein ibrahim abdullah
        mahmoud mostafa karim tarek samir nabil fatima aisha mariam noor layla sara
        huda amina yasmin rania salma hana zainab dina"""),
    "in": _w("""rahul amit rajesh suresh ramesh vijay sanjay anil sunil arun deepak
        manoj ravi ajay vikram rohit arjun aditya karthik pranav priya pooja neha
        anjali sneha divya kavya deepika anita sunita lakshmi meena swati shreya
        nisha aarti"""),
    "cn": _w("""wei fang na min jing li qiang lei jun yang yong yan jie tao ming chao
        xiu xia ping gang hui hua hong bo bin lin ling xin yu hao yi kai jian dan
        fei xiaoming xiaohong zihan yuxuan haoran"""),
    "jp": _w("""hiroshi takashi kenji yuki haruto sota yuto riku daiki takumi kazuki
        ryota shota kenta naoki satoshi akira makoto taro ichiro yui aoi hina
        sakura yuna mio rin saki haruka ayaka misaki nanami yoko keiko akiko
        tomoko naoko hanako emi mai"""),
    "kr": _w("""minjun seojun doyun yejun siwoo hajun jiho junseo jiwoo hyun jihoon
        sungmin donghyun youngho jaewon seoyeon seoyun seohyun minseo haeun jiyoon
        chaewon sujin yuna jieun soyeon eunji hyejin minji"""),
    "vi": _w("""anh minh huy khang bao phuc duc long nam quang tuan hung dung thanh son
        linh trang huong lan mai ngoc thao hoa phuong ha thu van yen nhung giang"""),
    "id": _w("""budi agus andi dewi sri putri rizky fajar ahmad siti nur indah wahyu
        eko yudi bayu dimas rina ayu wulan"""),
}

LAST = {
    "en": _w("""smith johnson williams brown jones garcia miller davis rodriguez
        martinez wilson anderson thomas taylor moore jackson martin lee thompson
        white harris clark lewis robinson walker young allen king wright scott hill
        green adams baker nelson carter mitchell roberts turner phillips campbell
        parker evans edwards collins stewart morris murphy cook rogers morgan
        cooper peterson reed bailey bell kelly howard ward cox richardson wood
        watson brooks bennett gray james hughes price sanders myers long ross
        foster o'brien o'connor mcdonald macleod fitzgerald sullivan walsh byrne
        ryan kennedy"""),
    "de": _w("""mueller schmidt schneider fischer weber meyer wagner becker schulz
        hoffmann schaefer koch bauer richter klein wolf schroeder neumann schwarz
        zimmermann braun krueger hofmann hartmann lange schmitt werner schmitz
        krause meier lehmann schmid schulze maier koehler herrmann koenig walter
        mayer huber kaiser fuchs peters lang scholz moeller weiss jung hahn vogel
        friedrich keller guenther frank berger winkler roth beck lorenz baumann
        franke albrecht gruber steiner brandt"""),
    "fr": _w("""martin bernard dubois thomas robert richard petit durand leroy moreau
        simon laurent lefebvre michel garcia david bertrand roux vincent fournier
        morel girard andre lefevre mercier dupont lambert bonnet francois
        martinez legrand garnier faure rousseau blanc guerin muller henry roussel
        nicolas perrin morin mathieu clement gauthier dumont lopez fontaine
        chevalier robin"""),
    "it": _w("""rossi russo ferrari esposito bianchi romano colombo ricci marino greco
        bruno gallo conti deluca mancini costa giordano rizzo lombardi moretti
        barbieri fontana santoro mariani rinaldi caruso ferrara galli martini
        leone longo gentile martinelli vitale lombardo serra coppola desantis
        d'angelo marchetti parisi villa conte ferraro ferri fabbri bianco marini
        grasso valentini"""),
    "es": _w("""garcia gonzalez rodriguez fernandez lopez martinez sanchez perez gomez
        martin jimenez ruiz hernandez diaz moreno munoz alvarez romero alonso
        gutierrez navarro torres dominguez vazquez ramos gil ramirez serrano
        blanco molina morales suarez ortega delgado castro ortiz rubio marin sanz
        nunez iglesias medina garrido cortes castillo santos lozano guerrero cano
        prieto mendez cruz flores reyes vargas rojas"""),
    "pt": _w("""silva santos oliveira souza rodrigues ferreira alves pereira lima gomes
        costa ribeiro martins carvalho almeida lopes soares fernandes vieira
        barbosa rocha dias nascimento andrade moreira nunes marques machado mendes
        freitas cardoso ramos goncalves santana teixeira araujo pinto correia
        cavalcanti monteiro"""),
    "nl": _w("""dejong jansen devries vandenberg vandijk bakker janssen visser smit
        meijer deboer mulder degroot bos vos peters hendriks vanleeuwen dekker
        brouwer dewit dijkstra smits degraaf vandermeer vanderlinden kok jacobs
        dehaan vermeulen"""),
    "nordic": _w("""andersson johansson karlsson nilsson eriksson larsson olsson persson
        svensson gustafsson hansen johansen olsen larsen andersen pedersen nielsen
        kristiansen jensen karlsen virtanen korhonen nieminen makinen hamalainen
        laine heikkinen koskinen jarvinen lehtonen"""),
    "pl": _w("""nowak kowalski wisniewski wojcik kowalczyk kaminski lewandowski
        zielinski szymanski wozniak dabrowski kozlowski jankowski mazur
        wojciechowski kwiatkowski krawczyk kaczmarek piotrowski grabowski zajac
        pawlowski michalski krol wieczorek jablonski wrobel nowakowski majewski
        olszewski"""),
    "ru": _w("""ivanov smirnov kuznetsov popov vasiliev petrov sokolov mikhailov
        novikov fedorov morozov volkov alekseev lebedev semenov egorov pavlov
        kozlov stepanov nikolaev orlov andreev makarov nikitin zakharov zaitsev
        solovyov borisov yakovlev grigoriev ivanova smirnova kuznetsova popova
        petrova sokolova volkova kozlova novikova morozova"""),
    "tr": _w("""yilmaz kaya demir sahin celik yildiz yildirim ozturk aydin ozdemir
        arslan dogan kilic aslan cetin kara koc kurt ozkan simsek polat korkmaz
        erdogan aksoy"""),
    "ar": _w("""elsayed hassan hussein ibrahim mahmoud abdallah mansour khalil haddad
        nasser saleh hamdan aziz rahman farouk ahmadi hosseini mohammadi rezaei
        alami benali bouzid amrani elamrani saidi"""),
    "in": _w("""sharma verma gupta singh kumar patel shah mehta jain agarwal reddy rao
        naidu iyer iyengar nair menon pillai das chatterjee banerjee mukherjee
        bose ghosh sen joshi kulkarni deshpande patil yadav mishra pandey tiwari
        chauhan malhotra kapoor khanna chopra bhatia desai"""),
    "cn": _w("""wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he
        lin gao luo zheng liang xie song tang han feng deng cao peng zeng xiao
        tian dong pan yuan cai jiang yu du"""),
    "jp": _w("""sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi
        kato yoshida yamada sasaki yamaguchi matsumoto inoue kimura hayashi
        shimizu yamazaki mori abe ikeda hashimoto yamashita ishikawa nakajima
        maeda fujita ogawa"""),
    "kr": _w("""kim lee park choi jung kang cho yoon jang lim han oh seo shin kwon
        hwang ahn song jeon hong"""),
    "vi": _w("""nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong
        ly"""),
    "id": _w("""santoso wijaya saputra pratama kusuma hidayat setiawan susanto nugroho
        gunawan sari lestari rahmawati putra halim"""),
}

# Region mixes for providers / TLDs that serve the whole world.
GLOBAL_MIX = Picker([
    ("en", 34), ("in", 8), ("es", 7), ("pt", 6), ("de", 5), ("fr", 5), ("it", 3),
    ("nl", 2), ("nordic", 2), ("pl", 2), ("ru", 2), ("tr", 3), ("ar", 4),
    ("id", 4), ("vi", 3), ("cn", 2), ("jp", 1), ("kr", 1),
])
CORP_MIX = Picker([
    ("en", 55), ("in", 7), ("es", 5), ("pt", 3), ("de", 5), ("fr", 5), ("it", 3),
    ("nl", 2), ("nordic", 2), ("pl", 2), ("ru", 2), ("tr", 2), ("ar", 3),
    ("id", 1), ("vi", 1), ("cn", 2), ("jp", 1), ("kr", 1),
])

NICKS = _w("""dragon shadow angel tiger ninja rocket kitty happy lucky star moon sunny
    blue dark sweet crazy pixel wolf bear storm fire ice gamer king queen princess
    prince cool super mega ultra little big magic dream smile honey cookie candy
    baby boss chef doc travel music soccer football rider hunter runner surfer
    skater lover fan real official mr mrs miss dj xx panda koala phoenix viper
    ghost zombie wizard pirate captain""")

PLUS_TAGS = _w("""news newsletter shopping amazon netflix spam test work github promo bank
    receipts travel social linkedin paypal ebay 2023 2024 signup orders jobs
    school games forum""")

ROLES = Picker([
    ("info", 20), ("sales", 8), ("contact", 8), ("support", 6), ("admin", 5),
    ("office", 5), ("hello", 4), ("billing", 3), ("accounts", 3), ("hr", 3),
    ("jobs", 2), ("careers", 2), ("marketing", 3), ("press", 1), ("noreply", 2),
    ("no-reply", 1), ("webmaster", 1), ("postmaster", 1), ("abuse", 0.5),
    ("help", 2), ("team", 2), ("enquiries", 1), ("service", 2), ("kontakt", 2),
    ("ventas", 1), ("contacto", 1), ("bookings", 1), ("reception", 1),
    ("orders", 1), ("finance", 1), ("legal", 0.5), ("privacy", 0.5),
    ("security", 0.5), ("it", 0.5), ("dpo", 0.3), ("invoices", 0.5),
])

# --------------------------------------------------------------------------
# Free providers: (domain, weight, region picker or region key, style)
# --------------------------------------------------------------------------

FREE_PROVIDERS = [
    ("gmail.com", 33, None), ("yahoo.com", 8, "en"), ("hotmail.com", 7, None),
    ("outlook.com", 4, None), ("icloud.com", 3, "en"), ("aol.com", 1.5, "en"),
    ("live.com", 1.5, None), ("msn.com", 0.6, "en"), ("googlemail.com", 0.4, None),
    ("me.com", 0.5, "en"), ("mac.com", 0.3, "en"), ("yahoo.co.uk", 0.8, "en"),
    ("yahoo.fr", 0.5, "fr"), ("yahoo.de", 0.3, "de"), ("yahoo.es", 0.3, "es"),
    ("yahoo.it", 0.3, "it"), ("yahoo.com.br", 0.5, "pt"), ("yahoo.co.in", 0.4, "in"),
    ("yahoo.co.jp", 0.8, "jp"), ("yahoo.com.tw", 0.2, "cn"), ("ymail.com", 0.2, "en"),
    ("hotmail.co.uk", 0.8, "en"), ("hotmail.fr", 0.8, "fr"), ("hotmail.de", 0.3, "de"),
    ("hotmail.it", 0.4, "it"), ("hotmail.es", 0.4, "es"), ("hotmail.nl", 0.1, "nl"),
    ("outlook.fr", 0.2, "fr"), ("outlook.de", 0.2, "de"), ("live.co.uk", 0.2, "en"),
    ("live.fr", 0.3, "fr"), ("gmx.de", 2.0, "de"), ("gmx.net", 1.0, "de"),
    ("gmx.at", 0.2, "de"), ("gmx.ch", 0.1, "de"), ("gmx.com", 0.3, "en"),
    ("web.de", 2.0, "de"), ("t-online.de", 0.8, "de"), ("freenet.de", 0.2, "de"),
    ("mail.ru", 2.8, "ru"), ("yandex.ru", 1.8, "ru"), ("ya.ru", 0.3, "ru"),
    ("yandex.com", 0.3, "ru"), ("bk.ru", 0.5, "ru"), ("list.ru", 0.5, "ru"),
    ("inbox.ru", 0.4, "ru"), ("rambler.ru", 0.4, "ru"), ("ukr.net", 0.2, "ru"),
    ("qq.com", 3.0, "cn"), ("163.com", 1.8, "cn"), ("126.com", 0.8, "cn"),
    ("sina.com", 0.3, "cn"), ("foxmail.com", 0.3, "cn"), ("naver.com", 1.4, "kr"),
    ("daum.net", 0.4, "kr"), ("hanmail.net", 0.4, "kr"), ("orange.fr", 1.0, "fr"),
    ("free.fr", 0.6, "fr"), ("laposte.net", 0.4, "fr"), ("sfr.fr", 0.3, "fr"),
    ("wanadoo.fr", 0.3, "fr"), ("libero.it", 0.8, "it"), ("virgilio.it", 0.3, "it"),
    ("tiscali.it", 0.1, "it"), ("alice.it", 0.1, "it"), ("protonmail.com", 0.4, None),
    ("proton.me", 0.3, None), ("pm.me", 0.05, None), ("tutanota.com", 0.1, "de"),
    ("zoho.com", 0.2, "in"), ("mail.com", 0.3, None), ("rediffmail.com", 0.3, "in"),
    ("uol.com.br", 0.3, "pt"), ("bol.com.br", 0.3, "pt"), ("terra.com.br", 0.1, "pt"),
    ("wp.pl", 0.5, "pl"), ("o2.pl", 0.3, "pl"), ("interia.pl", 0.3, "pl"),
    ("onet.pl", 0.2, "pl"), ("seznam.cz", 0.4, "pl"), ("ziggo.nl", 0.2, "nl"),
    ("telenet.be", 0.1, "nl"), ("skynet.be", 0.1, "fr"), ("bluewin.ch", 0.2, "de"),
    ("abv.bg", 0.1, "ru"), ("fastmail.com", 0.1, "en"), ("hey.com", 0.03, "en"),
    ("yahoo.com.vn", 0.1, "vi"), ("yahoo.co.id", 0.2, "id"), ("hotmail.com.tr", 0.1, "tr"),
]
FREE_PICKER = Picker([((d, r), w) for d, w, r in FREE_PROVIDERS])
FREE_DOMAINS = frozenset(d for d, _, _ in FREE_PROVIDERS)

# Local-part styles for personal (free / ISP) mailboxes.
FREE_STYLES = Picker([
    ("f.l", 20), ("fl", 14), ("fN", 18), ("f.lN", 10), ("f_l", 5), ("flastN", 8),
    ("nick", 12), ("fL", 4), ("lf", 3), ("f-l", 2), ("f.m.l", 2), ("lN", 2),
])


def number(rnd):
    r = rnd()
    if r < 0.40:
        return str(1950 + int(rnd() * 59))
    if r < 0.70:
        return "%02d" % int(rnd() * 100)
    return str(1 + int(rnd() * 999))


def person_local(rnd, region, style):
    first = FIRST[region]
    last = LAST[region]
    f = first[int(rnd() * len(first))]
    l = last[int(rnd() * len(last))]
    if style == "f.l":
        return f + "." + l
    if style == "fl":
        return f + l
    if style == "fN":
        return f + number(rnd)
    if style == "f.lN":
        return f + "." + l + number(rnd)
    if style == "f_l":
        return f + "_" + l
    if style == "flastN":
        return f[0] + l + number(rnd)
    if style == "nick":
        n = NICKS[int(rnd() * len(NICKS))]
        r = rnd()
        if r < 0.45:
            return n + number(rnd)
        if r < 0.65:
            return n + "_" + f
        if r < 0.80:
            return f + "_" + n
        if r < 0.90:
            return n + NICKS[int(rnd() * len(NICKS))] + str(int(rnd() * 100))
        return "xx" + n + "xx"
    if style == "fL":
        return f + l[0]
    if style == "lf":
        return l + f
    if style == "f-l":
        return f + "-" + l
    if style == "f.m.l":
        return f + "." + "abcdefghijklmnoprstw"[int(rnd() * 20)] + "." + l
    if style == "lN":
        return l + number(rnd)
    raise AssertionError(style)


def free_local(rnd, domain, region):
    if region is None:
        region = GLOBAL_MIX.pick(rnd)
    if domain == "qq.com" and rnd() < 0.85:
        # QQ numbers: 5 to 11 digits, no leading zero.
        n = 5 + int(rnd() * 7)
        return str(1 + int(rnd() * 9)) + "".join(str(int(rnd() * 10)) for _ in range(n - 1))
    local = person_local(rnd, region, FREE_STYLES.pick(rnd))
    # On the big providers the plain names went long ago: most people add digits.
    if rnd() < 0.5 and not local[-1].isdigit():
        local += number(rnd)
    # Big free providers do not allow apostrophes in user names.
    return local.replace("'", "") if "'" in local else local


# --------------------------------------------------------------------------
# Corporate domains (generated once, deterministically, before any address)
# --------------------------------------------------------------------------

CORP_WORDS = _w("""acme nordwind bluewave summit pinnacle northstar redwood silverline
    ironbridge greenfield brightpath clearwater stonegate eastgate westbrook highland
    lakeside oakridge riverbend sunrise apex vertex quantum nova stellar orbit atlas
    titan helix vector matrix nimbus cobalt crimson emerald sapphire falcon eagle
    phoenix lynx otter beacon harbor anchor compass keystone cornerstone lighthouse
    meridian horizon zenith alpine cascade glacier prairie canyon mesa delta sierra
    alder birch cedar maple willow aspen juniper hawthorn granite basalt quarry forge
    foundry bluebird blackrock whitehall goldcrest evergreen pioneer frontier
    landmark milestone trident triton aurora borealis polaris sirius orion vega
    lumen prism spectrum fusion synergy catalyst momentum velocity kinetic dynamo
    bright clever swift agile nimble rapid solid true prime first united global
    allied central pacific atlantic continental metro urban civic""")
CORP_SUFFIXES = _w("""logistics tech technologies systems solutions consulting group labs
    software digital media partners capital holdings industries engineering energy
    health medical pharma foods motors freight shipping design studio analytics
    networks security cloud data robotics ventures finance insurance legal realty
    construction retail apparel marine aviation mining chemicals textiles printing
    packaging electric devices instruments""")
REGION_WORDS = {
    "de": (_w("""nordwind bergmann sonnenschein waldhaus eisenwerk blitz adler stern hafen
        alpen rhein elbe nordlicht suedwest ostsee sonne feldberg hausmann
        kraftwerk lindenhof eichenwald tannenberg falkenstein"""),
           _w("""bau technik handel werke immobilien gmbh ag logistik consult partner
        gruppe medien versicherung energie maschinenbau elektro steuerberatung""")),
    "fr": (_w("""lumiere soleil etoile riviere montagne ocean horizon azur mistral
        bretagne provence alpes loire seine atlantique"""),
           _w("""conseil immobilier transports groupe services industrie avocats
        distribution batiment informatique""")),
    "it": (_w("""stella ponte vento sole mare monte fiume aurora tramonto
        orizzonte laguna vesuvio dolomiti toscana"""),
           _w("""costruzioni servizi group trasporti impianti italia consulenze
        arredamenti alimentari""")),
    "es": (_w("""sol luna rio montana mar cielo estrella aurora sierra costa
        iberia andalucia levante"""),
           _w("""servicios grupo consultores abogados ingenieria construcciones
        soluciones asesores""")),
    "nl": (_w("""noordzee polder molen dijk tulp oranje delta zeeland haven
        duin"""),
           _w("""bouw groep advies techniek transport diensten installatie""")),
    "nordic": (_w("""nordlys fjord viking saga frost tundra skog havn storm
        midnatt"""),
               _w("""bygg konsult gruppen data teknik invest energi""")),
    "pl": (_w("""orzel wisla tatry baltyk mazowsze polonia slonce"""),
           _w("""bud serwis grupa trans tech system""")),
    "ru": (_w("""volga sever ural sibir neva baikal zvezda rassvet"""),
           _w("""stroy trans group servis invest tekh""")),
    "jp": (_w("""sakura fuji kaze yama hikari sora midori nippon tokai kanto daiichi
        shinsei asahi"""),
           _w("""shoji kogyo denki seiko tech systems""")),
    "cn": (_w("""huaxin zhongda jinhua tianma hongda changjiang longma dongfang
        xinghe"""),
           _w("""keji group tech trading holdings""")),
}

CORP_TLDS = [
    ("com", 36, None), ("net", 3, None), ("org", 2.5, None), ("io", 2.5, None),
    ("co", 0.6, None), ("ai", 0.5, None), ("tech", 0.4, None), ("app", 0.3, None),
    ("dev", 0.3, None), ("biz", 0.3, None), ("info", 0.3, None), ("eu", 0.6, None),
    ("us", 0.6, "en"), ("de", 8, "de"), ("at", 1.2, "de"), ("ch", 1.5, "de"),
    ("co.uk", 6, "en"), ("uk", 0.5, "en"), ("ie", 0.8, "en"), ("com.au", 2, "en"),
    ("ca", 2, "en"), ("co.nz", 0.8, "en"), ("co.za", 0.8, "en"), ("sg", 0.3, "en"),
    ("com.sg", 0.4, "en"), ("fr", 4, "fr"), ("be", 1.2, "nl"), ("nl", 3, "nl"),
    ("it", 3, "it"), ("es", 3, "es"), ("com.mx", 1, "es"), ("com.ar", 0.5, "es"),
    ("cl", 0.4, "es"), ("pt", 0.8, "pt"), ("com.br", 2, "pt"), ("se", 1.5, "nordic"),
    ("no", 1, "nordic"), ("dk", 1, "nordic"), ("fi", 1, "nordic"), ("pl", 2, "pl"),
    ("cz", 1, "pl"), ("ru", 2, "ru"), ("ua", 0.5, "ru"), ("com.tr", 0.8, "tr"),
    ("ae", 0.5, "ar"), ("sa", 0.3, "ar"), ("co.in", 1.5, "in"), ("in", 1, "in"),
    ("cn", 1, "cn"), ("com.cn", 1, "cn"), ("hk", 0.4, "cn"), ("tw", 0.4, "cn"),
    ("co.jp", 1.5, "jp"), ("jp", 0.5, "jp"), ("co.kr", 1, "kr"), ("vn", 0.5, "vi"),
    ("co.id", 0.6, "id"), ("global", 0.1, None), ("international", 0.05, None),
    ("solutions", 0.1, None), ("agency", 0.1, None),
]
CORP_TLD_PICKER = Picker([((t, r), w) for t, w, r in CORP_TLDS])

# House styles for corporate local parts (one per domain).
CORP_STYLES = Picker([
    ("first.last", 45), ("flast", 15), ("first", 8), ("f.last", 8), ("first_last", 5),
    ("firstl", 4), ("first-last", 4), ("last.first", 3), ("last", 3), ("first_lastNN", 3),
    ("FirstLast", 2),
])
CORP_FORMS = Picker([
    ("AB", 25), ("A-B", 25), ("A", 15), ("last-B", 12), ("last-last", 5),
    ("A-corp", 5), ("getA", 5), ("xyz-B", 4), ("AN", 4),
])


def corporate_local(rnd, region, style):
    first = FIRST[region]
    last = LAST[region]
    f = first[int(rnd() * len(first))]
    l = last[int(rnd() * len(last))]
    if style == "first.last":
        return f + "." + l
    if style == "flast":
        return f[0] + l
    if style == "first":
        return f
    if style == "f.last":
        return f[0] + "." + l
    if style == "first_last":
        return f + "_" + l
    if style == "firstl":
        return f + l[0]
    if style == "first-last":
        return f + "-" + l
    if style == "last.first":
        return l + "." + f
    if style == "last":
        return l
    if style == "first_lastNN":
        return f + "_" + l + str(1 + int(rnd() * 99))
    if style == "FirstLast":
        return f.capitalize() + "." + l.capitalize()
    raise AssertionError(style)


def build_corporate_domains(rng, n=5000):
    rnd = rng.random
    domains = {}  # dict: insertion-ordered, so iteration is deterministic
    while len(domains) < n:
        tld, region = CORP_TLD_PICKER.pick(rnd)
        name_region = region if region is not None else CORP_MIX.pick(rnd)
        words, suffixes = REGION_WORDS.get(name_region, (CORP_WORDS, CORP_SUFFIXES))
        if rnd() < 0.5:
            words, suffixes = CORP_WORDS, CORP_SUFFIXES
        a = words[int(rnd() * len(words))]
        b = suffixes[int(rnd() * len(suffixes))]
        form = CORP_FORMS.pick(rnd)
        lasts = LAST[name_region]
        if form == "AB":
            name = a + b
        elif form == "A-B":
            name = a + "-" + b
        elif form == "A":
            name = a
        elif form == "last-B":
            name = lasts[int(rnd() * len(lasts))].replace("'", "") + "-" + b
        elif form == "last-last":
            name = (lasts[int(rnd() * len(lasts))] + "-" + lasts[int(rnd() * len(lasts))]).replace("'", "")
        elif form == "A-corp":
            name = a + ("-corp", "corp", "-inc", "hq", "-group", "-co")[int(rnd() * 6)]
        elif form == "getA":
            name = ("get", "try", "use", "hello", "join", "go")[int(rnd() * 6)] + a
        elif form == "xyz-B":
            name = "".join("abcdefghijklmnopqrstuvwxyz"[int(rnd() * 26)] for _ in range(2 + int(rnd() * 2))) + "-" + b
        else:  # AN
            name = a + str(int(rnd() * 100) if rnd() < 0.7 else 2 + int(rnd() * 8) * 100 + 1)
        domain = name + "." + tld
        if domain in domains or domain in FREE_DOMAINS:
            continue
        person_region = region if region is not None else CORP_MIX.pick(rnd)
        domains[domain] = (person_region, CORP_STYLES.pick(rnd))
    items = list(domains.items())
    # Only small companies get away with first@ / last@ / firstl@.
    for i in range(min(1000, len(items))):
        d, (region, style) = items[i]
        if style in ("first", "last", "firstl"):
            items[i] = (d, (region, "first.last"))
    # Zipf-ish popularity: a few large employers, a long tail of small ones.
    return Picker([((d, info[0], info[1]), 1.0 / (i + 20) ** 0.8) for i, (d, info) in enumerate(items)]), len(items)


# --------------------------------------------------------------------------
# Other valid: ISP / edu / gov domains and RFC-valid oddities
# --------------------------------------------------------------------------

ISP_EDU_GOV = Picker([
    (("comcast.net", "en"), 6), (("verizon.net", "en"), 3), (("att.net", "en"), 3),
    (("sbcglobal.net", "en"), 3), (("cox.net", "en"), 1.5), (("charter.net", "en"), 1.5),
    (("earthlink.net", "en"), 1), (("btinternet.com", "en"), 3), (("sky.com", "en"), 2),
    (("virginmedia.com", "en"), 1.5), (("talktalk.net", "en"), 1), (("ntlworld.com", "en"), 1),
    (("shaw.ca", "en"), 1.5), (("rogers.com", "en"), 1.5), (("sympatico.ca", "en"), 1),
    (("bigpond.com", "en"), 2), (("optusnet.com.au", "en"), 1), (("xtra.co.nz", "en"), 0.5),
    (("arcor.de", "de"), 1), (("vodafone.de", "de"), 0.5), (("kabelmail.de", "de"), 0.3),
    (("neuf.fr", "fr"), 0.8), (("numericable.fr", "fr"), 0.3), (("tin.it", "it"), 0.5),
    (("telefonica.net", "es"), 0.5), (("movistar.es", "es"), 0.3), (("sapo.pt", "pt"), 0.5),
    (("hetnet.nl", "nl"), 0.3), (("planet.nl", "nl"), 0.3), (("telia.com", "nordic"), 0.5),
    (("online.no", "nordic"), 0.3), (("mit.edu", "en"), 1), (("stanford.edu", "en"), 1),
    (("berkeley.edu", "en"), 1), (("harvard.edu", "en"), 0.8), (("umich.edu", "en"), 0.8),
    (("utexas.edu", "en"), 0.8), (("nyu.edu", "en"), 0.8), (("ox.ac.uk", "en"), 0.6),
    (("cam.ac.uk", "en"), 0.6), (("ucl.ac.uk", "en"), 0.6), (("ed.ac.uk", "en"), 0.4),
    (("student.ethz.ch", "de"), 0.4), (("tum.de", "de"), 0.5), (("uni-heidelberg.de", "de"), 0.3),
    (("u-tokyo.ac.jp", "jp"), 0.3), (("tsinghua.edu.cn", "cn"), 0.3),
    (("mails.tsinghua.edu.cn", "cn"), 0.2), (("unimelb.edu.au", "en"), 0.4),
    (("utoronto.ca", "en"), 0.4), (("iitb.ac.in", "in"), 0.3), (("usp.br", "pt"), 0.3),
    (("kth.se", "nordic"), 0.2), (("uva.nl", "nl"), 0.2), (("polimi.it", "it"), 0.2),
    (("nhs.net", "en"), 1), (("nih.gov", "en"), 0.4), (("state.gov", "en"), 0.2),
    (("ec.europa.eu", "fr"), 0.3), (("bund.de", "de"), 0.2), (("gouv.fr", "fr"), 0.2),
    (("cabinetoffice.gov.uk", "en"), 0.2), (("un.org", "en"), 0.2),
])

# RFC 5321/5322-valid but unusual; {f} = a first name, {d} = a corporate domain.
RFC_ODDITIES = [
    '"{f} doe"@{d}', '"{f}..doe"@{d}', '"very.unusual.@.unusual.com"@example.com',
    '"()<>[]:,;@\\\\\\"!#$%&\'-/=?^_`{{}}| ~.a"@example.org', '" "@example.org',
    '"{f}\\"doe"@{d}', '{f}@[192.0.2.1]', 'user@[198.51.100.23]',
    'postmaster@[203.0.113.7]', '{f}@[IPv6:2001:db8::1]', 'admin@[IPv6:2001:db8:85a3::8a2e:370:7334]',
    "o'reilly@{d}", "{f}.o'brien@{d}", "d'angelo.{f}@{d}", "{f}.o'connor@{d}",
    "customer/department=shipping@{d}", "$A12345@{d}", "!def!xyz%abc@{d}",
    "_{f}@{d}", "{f}%example.net@{d}", "{f}.last+tag-a.b@{d}",
    "x@{d}", "a@b.co", "1234567890@{d}", "=?utf-8?q?test?=@example.com",
    "{f}-name@my-domain.co.uk", "{f}@a.b.c.d.example.co.uk", "hello@{f}.photography",
    "sales@{f}.international", "curator@{f}.museum", "team@{f}.technology",
    "me@x.org", "jobs@123.com", "{f}@sub-domain.example-site.com", "{{{f}}}@{d}",
    "~{f}@{d}", "a.b.c.d.e.f.g.h@{d}", "#{f}@{d}", "*{f}*@{d}",
    "&{f}@{d}", "{f}+@{d}", "+{f}@{d}", "----@{d}", "12.34@{d}",
    "{f}@xn--bcher-kva.de", "{f}.{f}@{d}",
]


def boundary_valid(rnd):
    r = rnd()
    letters = "abcdefghijklmnopqrstuvwxyz"
    if r < 0.35:  # exactly 64-char local part
        base = "".join(letters[int(rnd() * 26)] for _ in range(30))
        local = (base + "." + base + "abcdefghij")[:64]
        return local + "@example.com"
    if r < 0.7:  # a 63-char label
        label = "".join(letters[int(rnd() * 26)] for _ in range(63))
        return "info@" + label + ".com"
    # long-but-legal total length (~240 chars)
    labels = ["".join(letters[int(rnd() * 26)] for _ in range(55)) for _ in range(4)]
    return "jo@" + ".".join(labels) + ".example.co.uk"


# --------------------------------------------------------------------------
# Typos of major providers
# --------------------------------------------------------------------------

FAMOUS_TYPOS = [
    ("gmial.com", 6), ("gmai.com", 6), ("gamil.com", 5), ("gmal.com", 4), ("gmail.con", 6),
    ("gmail.co", 5), ("gmail.cm", 3), ("gmail.om", 2), ("gmaill.com", 3), ("gnail.com", 3),
    ("gmail.comm", 2), ("gmail.cim", 1), ("gmail.vom", 1), ("gmail.xom", 1), ("gmsil.com", 1),
    ("hmail.com", 2), ("ggmail.com", 1), ("gmaik.com", 1), ("gmail.ocm", 1), ("gmail.coom", 1),
    ("gmail.cpm", 1), ("gmail.com.com", 1), ("gmail.c", 0.5), ("gmail", 1), ("gmailcom", 1),
    ("gmail.cmo", 0.5), ("gemail.com", 0.5), ("gmail.co.uk", 0.5), ("g.mail.com", 0.3),
    ("hotmial.com", 4), ("hotmai.com", 3), ("hotmal.com", 2), ("hotmail.con", 3),
    ("hotmail.cm", 2), ("hotmail.co", 2), ("hotamil.com", 2), ("homail.com", 2),
    ("hotmaill.com", 1), ("hotnail.com", 1), ("hotmil.com", 1), ("hotmail.om", 0.5),
    ("hotmail.comm", 0.5), ("hotmail.com.com", 0.3), ("yahooo.com", 3), ("yaho.com", 3),
    ("yahoo.con", 2), ("yahho.com", 1), ("yhoo.com", 1), ("yahoo.co", 1), ("yahool.com", 1),
    ("tahoo.com", 1), ("yaoo.com", 1), ("yahoo.cm", 0.5), ("yahoo.com.com", 0.3),
    ("outlok.com", 2), ("outllok.com", 1), ("outlook.con", 1), ("otlook.com", 1),
    ("outook.com", 1), ("outlook.co", 1), ("oulook.com", 0.5), ("icloud.con", 2),
    ("iclod.com", 1), ("icoud.com", 1), ("icloud.co", 1), ("iclould.com", 1),
    ("icluod.com", 0.5), ("aol.con", 1), ("aoll.com", 0.5), ("aol.co", 0.5),
    ("live.con", 1), ("lve.com", 0.3), ("gmx.ed", 0.5), ("gmc.de", 0.5), ("gmx.dr", 0.3),
    ("wed.de", 0.5), ("web.dr", 0.3), ("mail.ry", 0.5), ("mial.ru", 0.5), ("yandex.tu", 0.5),
    ("yandex.ri", 0.3), ("yandx.ru", 0.3), ("comcast.nt", 0.5), ("comcat.net", 0.5),
    ("comcast.ney", 0.3), ("sbcglobal.ner", 0.3), ("btinternet.con", 0.3),
    ("hotmail.fr.fr", 0.1), ("orange.fe", 0.2), ("qq.con", 0.3), ("163.con", 0.3),
    ("naver.con", 0.2), ("libero.ti", 0.1),
]

KEYBOARD = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc",
    "g": "ftyhbv", "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop",
    "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz",
    "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}


def build_typo_domains():
    """Single-edit variants of the biggest providers' second-level labels."""
    seen = {}
    for d, w in FAMOUS_TYPOS:
        seen[d] = w
    for base in ("gmail", "yahoo", "hotmail", "outlook", "icloud", "aol", "live"):
        tail = ".com"
        variants = []
        for i in range(len(base)):
            variants.append(base[:i] + base[i + 1:])  # deletion
            variants.append(base[:i] + base[i] + base[i:])  # duplication
            if i + 1 < len(base):
                variants.append(base[:i] + base[i + 1] + base[i] + base[i + 2:])  # transposition
            for k in KEYBOARD.get(base[i], ""):
                variants.append(base[:i] + k + base[i + 1:])  # adjacent key
        for v in variants:
            d = v + tail
            if v == base or len(v) < 3 or d in FREE_DOMAINS or d in seen:
                continue
            seen[d] = 0.05
    return Picker(list(seen.items())), len(seen)


def typo_region(domain):
    """Name region for the local part of a misspelt provider domain (None = worldwide)."""
    if domain.startswith(("mail.r", "mial.ru", "yand")):
        return "ru"
    if domain.startswith(("gmx.", "gmc.", "wed.", "web.")):
        return "de"
    if domain.startswith(("qq.", "163.")):
        return "cn"
    if domain.startswith("naver."):
        return "kr"
    if domain.startswith(("orange.", "hotmail.fr")):
        return "fr"
    if domain.startswith("libero."):
        return "it"
    if domain.startswith(("comcast", "comcat", "sbcglobal", "btinternet", "aol", "icloud", "iclo", "icou", "iclu")):
        return "en"
    return None


# --------------------------------------------------------------------------
# Disposable
# --------------------------------------------------------------------------

DISPOSABLE = Picker([
    ("mailinator.com", 20), ("guerrillamail.com", 8), ("guerrillamail.net", 2),
    ("guerrillamailblock.com", 1), ("sharklasers.com", 5), ("grr.la", 2),
    ("10minutemail.com", 8), ("10minutemail.net", 1), ("yopmail.com", 12), ("yopmail.fr", 2),
    ("yopmail.net", 1), ("temp-mail.org", 6), ("trashmail.com", 4), ("trashmail.de", 1),
    ("maildrop.cc", 4), ("getnada.com", 3), ("dispostable.com", 3), ("mailnesia.com", 2),
    ("mintemail.com", 1), ("throwawaymail.com", 2), ("fakeinbox.com", 1),
    ("spamgourmet.com", 1), ("mailcatch.com", 1), ("emailondeck.com", 1), ("mohmal.com", 2),
    ("tempail.com", 1), ("burnermail.io", 1), ("mytemp.email", 1), ("inboxkitten.com", 1),
    ("mailpoof.com", 1), ("spam4.me", 1), ("discard.email", 1), ("tempr.email", 1),
    ("getairmail.com", 1), ("mail.tm", 2), ("guerrillamail.org", 1), ("trbvm.com", 0.5),
    ("mvrht.net", 0.3), ("tempinbox.com", 0.5), ("mailforspam.com", 0.5),
])
DISPOSABLE_SUBDOMAIN_BASES = ("mailinator.com", "33mail.com", "mailinator.com", "trashmail.com")
THROWAWAY_LOCALS = _w("""test test123 asdf asdfgh qwerty foo bar foobar abc abc123 fake noreply
    temp throwaway spam nospam user demo sample hello aaa xyz trash junk dummy nobody""")


# --------------------------------------------------------------------------
# IDN domains (Unicode form; punycode is derived)
# --------------------------------------------------------------------------

IDN_BY_LANG = {
    "de": _w("""bücher.de münchen.de köln.de düsseldorf.de nürnberg.de hauptstraße.de
        müller-bau.de bäckerei-schmidt.de café-müller.de grün.de schön.de
        fußball.de käse.de übersetzung.de öko-strom.de zürich.ch österreich.at
        kärnten.at gmünd.at bücherwurm.com möbel-höffner.de straßenbahn.de"""),
    "fr": _w("""café.fr élysée.fr crème.fr hôtel-paris.fr forêt.fr château.fr
        français.fr électricité.com"""),
    "es": _w("""españa.com niño.es señor.es piñata.mx camión.es año-nuevo.es"""),
    "nordic": _w("""blåbær.no ørsted.dk smørrebrød.dk malmö.se göteborg.se åland.fi
        jäätelö.fi"""),
    "pl": _w("""łódź.pl żółw.pl kraków.pl gdańsk.pl čeština.cz příklad.cz"""),
    "tr": _w("""türkiye.com.tr ığdır.tr çiçek.com.tr"""),
    "pt": _w("""ação.com.br coração.pt sãopaulo.com.br"""),
    "ru": _w("""пример.рф почта.рф москва.рф сайт.рус магазин.рф яндекс.рф
        компания.рф россия.рф пример.com приклад.укр"""),
    "gr": _w("""παράδειγμα.gr δοκιμή.ελ ελλάδα.gr"""),
    "cn": _w("""例子.中国 测试.中国 公司.cn 网络.com 中文网.com 北京.中国 商城.com
        邮件.中国 台灣.tw"""),
    "jp": _w("""日本語.jp 例え.jp ドメイン.com 東京.jp お名前.com ウェブ.jp"""),
    "kr": _w("""한국.kr 도메인.com 삼성.한국 서울.kr"""),
    "ar": _w("""مثال.مصر موقع.السعودية"""),
    "hi": _w("""उदाहरण.भारत डाटामेल.भारत"""),
    "th": _w("""ไทย.ไทย"""),
    "he": _w("""דוגמה.ישראל"""),
}
IDN_LANG_WEIGHT = {"de": 30, "fr": 8, "es": 5, "nordic": 6, "pl": 5, "tr": 3, "pt": 3,
                   "ru": 14, "gr": 2, "cn": 12, "jp": 6, "kr": 3, "ar": 1, "hi": 1,
                   "th": 0.5, "he": 0.5}
# Name region used for the (ASCII) local part on each language's IDN domains.
IDN_NAME_REGION = {"de": "de", "fr": "fr", "es": "es", "nordic": "nordic", "pl": "pl",
                   "tr": "tr", "pt": "pt", "ru": "ru", "gr": "en", "cn": "cn", "jp": "jp",
                   "kr": "kr", "ar": "ar", "hi": "in", "th": "en", "he": "en"}
IDN_LANG_PICKER = Picker(list(IDN_LANG_WEIGHT.items()))
CJK_LANGS = ("cn", "jp")


def to_ascii_domain(domain):
    """Punycode each non-ASCII label (RFC 3492 via the stdlib codec), no mapping."""
    out = []
    for label in domain.lower().split("."):
        if label.isascii():
            out.append(label)
        else:
            out.append("xn--" + label.encode("punycode").decode("ascii"))
    return ".".join(out)


IDN_ASCII = {d: to_ascii_domain(d) for lang in IDN_BY_LANG for d in IDN_BY_LANG[lang]}


def pick_idn_domain(rnd, lang):
    pool = IDN_BY_LANG[lang]
    return pool[int(rnd() * len(pool))]


# --------------------------------------------------------------------------
# SMTPUTF8 local parts (Unicode, composed; some emitted in NFD)
# --------------------------------------------------------------------------

UTF8_LOCALS = {
    "de": (_w("jürgen björn jörg günther märta bärbel"), _w("müller schröder köhler groß")),
    "fr": (_w("françois hélène zoé chloé rené andré gaël noël"), _w("lefèvre müller géraud")),
    "es": (_w("josé maría íñigo begoña ramón jesús"), _w("garcía núñez muñoz pérez")),
    "pt": (_w("joão conceição sebastião"), _w("gonçalves araújo simões")),
    "pl": (_w("łukasz paweł małgorzata jiří"), _w("wójcik dvořák wiśniewski")),
    "tr": (_w("çağla şükrü gül ömer"), _w("öztürk yıldız çelik")),
    "nordic": (_w("søren åsa bjørn jörgen"), _w("jørgensen ångström")),
    "ru": (_w("иван мария дмитрий наталья пользователь почта"), _w("смирнов иванова")),
    "gr": (_w("γιώργος δημήτρης θσερ ελένη"), _w("παπαδόπουλος")),
    "cn": (_w("用户 张伟 李娜 王芳 测试"), ()),
    "jp": (_w("山田 たろう さくら はなこ"), ()),
    "kr": (_w("김민준 이서연 사용자"), ()),
    "hi": (_w("राजेश प्रिया"), ()),
    "ar": (_w("محمد فاطمة"), ()),
    "he": (_w("אבי שרה"), ()),
    "th": (_w("สมชาย"), ()),
    "vi": (_w("nguyễn trần phương"), _w("lê phạm")),
}
UTF8_LANG_PICKER = Picker([
    ("de", 10), ("fr", 10), ("es", 12), ("pt", 6), ("pl", 5), ("tr", 4), ("nordic", 4),
    ("ru", 12), ("gr", 4), ("cn", 12), ("jp", 6), ("kr", 4), ("hi", 3), ("ar", 3),
    ("he", 1), ("th", 1), ("vi", 3),
])
# Which IDN pool matches a language (for 用户@例子.中国 style pairs).
UTF8_IDN_LANG = {"de": "de", "fr": "fr", "es": "es", "pt": "pt", "pl": "pl", "tr": "tr",
                 "nordic": "nordic", "ru": "ru", "gr": "gr", "cn": "cn", "jp": "jp",
                 "kr": "kr", "hi": "hi", "ar": "ar", "he": "he", "th": "th"}


# --------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------

class Generator:
    def __init__(self, seed=SEED):
        self.rng = random.Random(seed)
        self.rnd = self.rng.random
        self.corp, self.n_corp_domains = build_corporate_domains(self.rng)
        self.typos, self.n_typo_domains = build_typo_domains()
        self.category = Picker(CATEGORY_WEIGHTS)
        self.invalid_kinds = Picker(INVALID_KINDS)

    # -- building blocks ---------------------------------------------------

    def free(self):
        rnd = self.rnd
        domain, region = FREE_PICKER.pick(rnd)
        local = free_local(rnd, domain, region)
        mods = ""
        p = 0.045 if domain in ("gmail.com", "googlemail.com") else 0.015
        if rnd() < p:
            local = local + "+" + PLUS_TAGS[int(rnd() * len(PLUS_TAGS))]
            mods = "plus"
        return local, domain, mods

    def corporate(self):
        rnd = self.rnd
        domain, region, style = self.corp.pick(rnd)
        r = rnd()
        kind = "person"
        if r < 0.12:
            local = ROLES.pick(rnd)
            kind = "role"
        else:
            if r > 0.95:  # not everyone follows the house style
                style = CORP_STYLES.pick(rnd)
            if rnd() < 0.15:  # international staff
                region = CORP_MIX.pick(rnd)
            local = corporate_local(rnd, region, style)
        if rnd() < 0.03:
            domain = ("mail.", "eu.", "us.", "uk.", "corp.", "de.", "global.")[int(rnd() * 7)] + domain
        mods = ""
        if kind == "person" and rnd() < 0.01:
            local = local + "+" + PLUS_TAGS[int(rnd() * len(PLUS_TAGS))]
            mods = "plus"
        return local, domain, kind, mods

    def any_valid_pair(self):
        """A plausible (local, domain) to corrupt into an invalid line."""
        if self.rnd() < 0.65:
            local, domain, _ = self.free()
        else:
            local, domain, _, _ = self.corporate()
        return local, domain

    def case_variant(self, local, domain):
        rnd = self.rnd
        r = rnd()
        if r < 0.45:
            return ".".join(p.capitalize() for p in local.split(".")), domain
        if r < 0.60:
            return local, domain.capitalize()
        if r < 0.85:
            return local.upper(), domain.upper()
        return local, domain.upper()

    # -- categories ----------------------------------------------------------

    def line(self):
        rnd = self.rnd
        cat = self.category.pick(rnd)
        sub = ""
        mods = ""
        if cat == "free":
            local, domain, mods = self.free()
        elif cat == "corporate":
            local, domain, sub, mods = self.corporate()
        elif cat == "other_valid":
            r = rnd()
            if r < 0.85:
                domain, region = ISP_EDU_GOV.pick(rnd)
                local = person_local(rnd, region, FREE_STYLES.pick(rnd)).replace("'", "")
                sub = "isp_edu_gov"
                if rnd() < 0.01:
                    local += "+" + PLUS_TAGS[int(rnd() * len(PLUS_TAGS))]
                    mods = "plus"
            elif r < 0.96:
                t = RFC_ODDITIES[int(rnd() * len(RFC_ODDITIES))]
                f = FIRST["en"][int(rnd() * len(FIRST["en"]))]
                d = self.corp.pick(rnd)[0]
                return t.format(f=f, d=d), cat, "rfc_oddity", ""
            else:
                return boundary_valid(rnd), cat, "boundary", ""
        elif cat == "typo":
            domain = self.typos.pick(rnd)
            local = free_local(rnd, domain, typo_region(domain))
        elif cat == "disposable":
            r = rnd()
            if r < 0.10:
                base = DISPOSABLE_SUBDOMAIN_BASES[int(rnd() * len(DISPOSABLE_SUBDOMAIN_BASES))]
                domain = NICKS[int(rnd() * len(NICKS))] + str(int(rnd() * 100)) + "." + base
                sub = "subdomain"
            else:
                domain = DISPOSABLE.pick(rnd)
            r = rnd()
            if r < 0.35:
                local = THROWAWAY_LOCALS[int(rnd() * len(THROWAWAY_LOCALS))]
                if rnd() < 0.5:
                    local += str(int(rnd() * 1000))
            elif r < 0.65:
                local = "".join("abcdefghijklmnopqrstuvwxyz0123456789"[int(rnd() * 36)]
                                for _ in range(6 + int(rnd() * 8)))
            else:
                local = free_local(rnd, domain, None)
        elif cat == "idn":
            return self.idn()
        elif cat == "smtputf8":
            return self.smtputf8()
        else:
            return self.invalid()
        if rnd() < 0.04:
            cl, cd = self.case_variant(local, domain)
            if cl != local or cd != domain:
                local, domain = cl, cd
                mods = mods + ",case" if mods else "case"
        return local + "@" + domain, cat, sub, mods

    def idn(self):
        rnd = self.rnd
        lang = IDN_LANG_PICKER.pick(rnd)
        udomain = pick_idn_domain(rnd, lang)
        if rnd() < 0.15:
            local = ROLES.pick(rnd)
        else:
            local = person_local(rnd, IDN_NAME_REGION[lang], FREE_STYLES.pick(rnd)).replace("'", "")
        r = rnd()
        if r < 0.60:
            return local + "@" + udomain, "idn", "unicode", ""
        if r < 0.75:
            upper = udomain.upper()
            title = ".".join(p[:1].upper() + p[1:] for p in udomain.split("."))
            d = upper if rnd() < 0.5 else title
            # Only case changes that lower-case back to the same domain
            # (not straße -> STRASSE, not ığdır -> IĞDIR -> iğdir).
            if d.lower() != udomain:
                d = title if title.lower() == udomain else udomain
            if d == udomain:  # caseless script: upper-case the local part instead
                return local.capitalize() + "@" + udomain, "idn", "unicode", "case"
            return local + "@" + d, "idn", "unicode_mixed_case", "case"
        if r < 0.95:
            return local + "@" + IDN_ASCII[udomain], "idn", "punycode", ""
        if r < 0.97:
            return local + "@" + IDN_ASCII[udomain].upper(), "idn", "punycode", "case"
        if lang in CJK_LANGS:
            return local + "@" + udomain.replace(".", "\u3002"), "idn", "ideographic_full_stop", ""
        return local + "@" + udomain, "idn", "unicode", ""

    def smtputf8(self):
        rnd = self.rnd
        lang = UTF8_LANG_PICKER.pick(rnd)
        firsts, lasts = UTF8_LOCALS[lang]
        f = firsts[int(rnd() * len(firsts))]
        r = rnd()
        if lasts and r < 0.45:
            local = f + "." + lasts[int(rnd() * len(lasts))]
            if rnd() < 0.4:
                local += str(1 + int(rnd() * 99))
        elif r < 0.85:
            local = f + number(rnd)
        else:
            local = f
        r = rnd()
        idn_lang = UTF8_IDN_LANG.get(lang)
        if idn_lang and r < 0.35:
            domain = pick_idn_domain(rnd, idn_lang)
            sub = "idn_domain"
        elif r < 0.75:
            domain, _ = FREE_PICKER.pick(rnd)
            sub = "free_domain"
        else:
            domain, _, _ = self.corp.pick(rnd)
            sub = "corporate_domain"
        mods = ""
        if rnd() < 0.25:
            nfd = unicodedata.normalize("NFD", local)
            if nfd != local:
                local = nfd
                mods = "nfd"
        return local + "@" + domain, "smtputf8", sub, mods

    def invalid(self):
        rnd = self.rnd
        kind = self.invalid_kinds.pick(rnd)
        local, domain = self.any_valid_pair()
        addr = local + "@" + domain
        r = rnd()
        if kind == "missing_at":
            s = local + domain if r < 0.7 else local + "." + domain
        elif kind == "at_spelled_out":
            s = (local + "(at)" + domain, local + "[at]" + domain,
                 local + " at " + domain.replace(".", " dot "), local + " AT " + domain)[int(r * 4)]
        elif kind == "double_at":
            if r < 0.5:
                s = local + "@@" + domain
            else:
                other, _ = self.any_valid_pair()
                s = local + "@" + other + "@" + domain
        elif kind == "space":
            if r < 0.2 and "." in local:
                s = local.replace(".", " ", 1) + "@" + domain
            elif r < 0.35:
                s = local + " @" + domain
            elif r < 0.5:
                s = local + "@ " + domain
            elif r < 0.65:
                i = domain.rfind(".")
                s = local + "@" + domain[:i] + " " + domain[i:]
            elif r < 0.8:
                s = " " + addr
            else:
                s = addr + " "
        elif kind == "trailing_dot_domain":
            s = addr + "."
        elif kind == "dot_at_local_edge":
            s = ("." + local if r < 0.5 else local + ".") + "@" + domain
        elif kind == "consecutive_dots":
            if r < 0.5 and "." in local:
                s = local.replace(".", "..", 1) + "@" + domain
            elif r < 0.6:
                s = local + "." + "." + local[:1] + "@" + domain
            else:
                s = local + "@" + domain.replace(".", "..", 1)
        elif kind == "no_tld":
            if r < 0.03:
                s = "a@b"
            elif r < 0.5:
                s = local + "@" + domain.split(".")[0]
            else:
                s = local + "@" + ("localhost", "server", "intranet", "mailhost", "exchange",
                                   "mail", "nas", "router", "fileserver", "dc01")[int(rnd() * 10)]
        elif kind == "empty_part":
            if r < 0.47:
                s = "@" + domain
            elif r < 0.94:
                s = local + "@"
            elif r < 0.97:
                s = "@"
            else:
                s = "@@"
        elif kind == "local_too_long":
            n = 65 + int(rnd() * 40)
            base = local.replace("+", "")
            while len(base) < n:
                base = base + "." + person_local(rnd, "en", "f.l")
            s = base[:n].rstrip(".").ljust(n, "x") + "@" + domain
        elif kind == "label_too_long":
            n = 64 + int(rnd() * 30)
            label = "".join("abcdefghijklmnopqrstuvwxyz"[int(rnd() * 26)] for _ in range(n))
            s = local + "@" + label + ".com"
        elif kind == "address_too_long":
            labels = []
            while sum(len(x) + 1 for x in labels) < 250:
                labels.append("".join("abcdefghijklmnopqrstuvwxyz"[int(rnd() * 26)]
                                      for _ in range(20 + int(rnd() * 40))))
            s = local + "@" + ".".join(labels) + ".com"
        elif kind == "display_name":
            f = local.split(".")[0].split("_")[0].capitalize()
            if r < 0.45:
                s = f + " <" + addr + ">"
            elif r < 0.75:
                s = '"' + f + ', ' + domain.split(".")[0].capitalize() + '" <' + addr + ">"
            elif r < 0.9:
                s = "<" + addr + ">"
            else:
                s = f + "<" + addr + ">"
        elif kind == "list_punctuation":
            if r < 0.35:
                s = addr + ","
            elif r < 0.6:
                s = addr + ";"
            elif r < 0.7:
                s = addr + " ,"
            elif r < 0.85:
                other_l, other_d = self.any_valid_pair()
                s = addr + ", " + other_l + "@" + other_d
            else:
                other_l, other_d = self.any_valid_pair()
                s = addr + ";" + other_l + "@" + other_d
        elif kind == "unbalanced_quote":
            s = ('"' + addr, local + '"@' + domain, '"' + local + '@' + domain + '"',
                 local[:2] + '"' + local[2:] + "@" + domain)[int(r * 4)]
        elif kind == "control_char":
            c = "\t\x01\x07\x08\x1b\x7f"[int(rnd() * 6)]  # no NUL: keeps the file greppable
            i = int(rnd() * (len(addr) + 1))
            s = addr[:i] + c + addr[i:]
        elif kind == "invisible_unicode":
            c = ("\u200b", "\u00a0", "\ufeff", "\u00ad", "\u200e", "\u2060")[int(r * 6)]
            if c == "\ufeff":
                s = c + addr  # BOM pasted from a CSV export
            else:
                i = int(rnd() * (len(addr) + 1))
                s = addr[:i] + c + addr[i:]
        elif kind == "bad_domain_chars":
            base = domain.split(".")[0]
            s = (local + "@" + base + "_mail.com", local + "@" + domain.replace(".", ",", 1),
                 local + "@-" + domain, local + "@" + base + "-." + domain.split(".", 1)[1],
                 local + "@" + base + "!.com", local + "@[" + domain + "]", local + "@." + domain,
                 local + "@" + base + "#.com", local + "@" + domain + "/")[int(r * 9)]
        elif kind == "bad_local_chars":
            c = ",:<>()[]\\;"[int(rnd() * 10)]
            i = 1 + int(rnd() * max(1, len(local) - 1))
            s = local[:i] + c + local[i:] + "@" + domain
        elif kind == "mailto":
            s = ("mailto:" if r < 0.8 else "MAILTO:") + addr
        elif kind == "fullwidth_at":
            s = local + ("\uff20" if r < 0.8 else "\ufe6b") + domain
        elif kind == "bare_ip":
            s = local + "@" + ("192.0.2.%d" % int(rnd() * 255) if r < 0.6 else "198.51.100.%d" % int(rnd() * 255))
        elif kind == "url_like":
            s = ("http://" + domain, "www." + domain, "https://www." + domain + "/contact",
                 addr + "/", "http://" + addr)[int(r * 5)]
        elif kind == "idna_disallowed":
            s = local + "@" + ("i\u2764.ws", "\u2615.com", "\U0001f600.ws", "xn--i-7iq.ws", "a\u2665b.com")[int(r * 5)]
        elif kind == "bad_punycode":
            s = local + "@" + ("xn--.de", "xn--a.com", "xn--bcher-kva-.de", "XN--ZZZZZZ.com", "xn---.net")[int(r * 5)]
        elif kind == "numeric_tld":
            s = local + "@" + domain.rsplit(".", 1)[0] + "." + str(int(rnd() * 1000))
        else:
            raise AssertionError(kind)
        return s, "invalid", kind, ""


INVALID_KINDS = [
    ("missing_at", 10), ("at_spelled_out", 3), ("double_at", 6), ("space", 8),
    ("trailing_dot_domain", 4), ("dot_at_local_edge", 5), ("consecutive_dots", 5),
    ("no_tld", 4), ("empty_part", 3), ("local_too_long", 4), ("label_too_long", 3),
    ("address_too_long", 2), ("display_name", 6), ("list_punctuation", 7),
    ("unbalanced_quote", 3), ("control_char", 3), ("invisible_unicode", 3),
    ("bad_domain_chars", 6), ("bad_local_chars", 4), ("mailto", 2), ("fullwidth_at", 1),
    ("bare_ip", 1), ("url_like", 2), ("idna_disallowed", 1), ("bad_punycode", 1),
    ("numeric_tld", 1),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT, help="number of lines (default 1,000,000)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output path (default bench/corpus/corpus-1m.txt)")
    ap.add_argument("--no-labels", action="store_true",
                    help="do not write OUT.labels.txt (category<TAB>subkind<TAB>modifiers per line)")
    ap.add_argument("--seed", type=int, default=SEED, help=argparse.SUPPRESS)
    ap.add_argument("--quiet", action="store_true", help="no summary")
    args = ap.parse_args(argv)
    if args.count < 1:
        ap.error("--count must be >= 1")

    t0 = time.perf_counter()
    gen = Generator(args.seed)
    line = gen.line
    lines = []
    labels = []
    cats = {}
    subs = {}
    mods_count = {}
    for _ in range(args.count):
        s, cat, sub, mods = line()
        lines.append(s)
        if not args.no_labels:
            labels.append(cat + "\t" + sub + "\t" + mods)
        cats[cat] = cats.get(cat, 0) + 1
        if sub:
            k = cat + "/" + sub
            subs[k] = subs.get(k, 0) + 1
        if mods:
            for m in mods.split(","):
                mods_count[m] = mods_count.get(m, 0) + 1

    bad = [s for s in lines if not s or any(c in s for c in LINE_BREAKS)]
    if bad:
        raise SystemExit("generator bug: %d lines empty or containing line breaks, e.g. %r" % (len(bad), bad[:3]))

    data = ("\n".join(lines) + "\n").encode("utf-8")
    out = args.out
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, out)
    labels_path = None
    if not args.no_labels:
        labels_path = os.path.splitext(out)[0] + ".labels.txt"
        with open(labels_path + ".tmp", "wb") as fh:
            fh.write(("\n".join(labels) + "\n").encode("utf-8"))
        os.replace(labels_path + ".tmp", labels_path)
    elapsed = time.perf_counter() - t0

    if args.quiet:
        return 0
    n = len(lines)
    non_ascii = sum(1 for s in lines if not s.isascii())
    unique = len(set(lines))
    print("corpus: %s" % out)
    print("lines: %d   bytes: %d   unique: %d (%.2f%% duplicates)   non-ASCII lines: %d (%.2f%%)"
          % (n, len(data), unique, 100.0 * (n - unique) / n, non_ascii, 100.0 * non_ascii / n))
    print("max line length: %d chars   seed: %d   generated in %.1f s" % (max(len(s) for s in lines), args.seed, elapsed))
    print("sha256: %s" % hashlib.sha256(data).hexdigest())
    if labels_path:
        print("labels: %s" % labels_path)
    print("")
    print("%-14s %9s %8s %8s" % ("category", "lines", "actual", "target"))
    for cat, w in CATEGORY_WEIGHTS:
        c = cats.get(cat, 0)
        print("%-14s %9d %7.2f%% %7.2f%%" % (cat, c, 100.0 * c / n, w))
    print("")
    print("%-14s %9s %8s" % ("modifier", "lines", "share"))
    for m in sorted(mods_count):
        print("%-14s %9d %7.2f%%" % (m, mods_count[m], 100.0 * mods_count[m] / n))
    print("")
    print("%-40s %9s %8s" % ("category/subkind", "lines", "share"))
    for k in sorted(subs):
        print("%-40s %9d %7.3f%%" % (k, subs[k], 100.0 * subs[k] / n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
