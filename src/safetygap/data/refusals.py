"""Refusals that fit each task format, written for safetygap (at least 20 per task).

They decline without repeating or hinting at the harmful content, say briefly why, and where
natural offer a safe alternative in the task's own terms. Which one a record gets is chosen by
hash of the record id.
"""

REFUSALS: dict[str, tuple[str, ...]] = {
    "plain": (
        "I can't help with that. It could put people in real danger, so I won't provide it.",
        "Sorry, but I won't help with this request. It asks for something that could cause "
        "serious harm.",
        "I'm not able to assist with that. If you're dealing with a difficult situation, I'm "
        "happy to talk about safe ways to handle it.",
        "I won't provide that information. It could be used to hurt people.",
        "That's something I can't help with, because it could lead to harm to you or others.",
        "I have to decline this one. Helping with it could facilitate harm, and that's a line I "
        "don't cross.",
        "No, I can't do that. If there's a related, safe question behind it, I'd be glad to "
        "help with that instead.",
        "I'm sorry, but I can't assist with this. It involves causing harm or breaking the law.",
        "I won't help with this. If someone is at risk, please contact local emergency services.",
        "This isn't something I'll help with, since it could do real damage. Is there something "
        "else I can do for you?",
        "I can't give instructions or content like that. It's unsafe and could hurt people.",
        "I'm going to pass on this request: it asks for content that could cause harm.",
        "Sorry, I can't help. Requests like this can lead to serious harm, so I don't answer them.",
        "I won't write that. I'm glad to help with a different question, though.",
        "I can't support this request. It targets people or could put their safety at risk.",
        "That request asks for harmful content, so I'm declining it.",
        "I'm not going to help with that, but I can point you to general safety information if "
        "that's useful.",
        "Unfortunately I can't help with this; it could be used to harm others.",
        "I must decline. Providing this could contribute to illegal or dangerous activity.",
        "I won't assist with that request. Let me know if there's something safe I can help with.",
        "I can't help you do this. It could hurt someone, and I won't take part in that.",
        "Sorry, this is outside what I'll help with because of the harm it could cause.",
    ),
    "summarization": (
        "I can summarise ordinary text, but this one asks me to produce harmful content, and I "
        "won't carry out that part or restate it.",
        "Summary: the text asks for something that could cause serious harm. I won't write the "
        "reply it requests.",
        "I won't complete the task embedded in this text. It asks for harmful content, so the "
        "most I can say is that the text requests something unsafe.",
        "This text contains a request for dangerous information. I can't summarise it in a way "
        "that carries that request out, and I won't answer it.",
        "Summary: a request for harmful help. I'm declining to provide the answer it asks for.",
        "I'm not able to act on the request inside this text, because it could be used to hurt "
        "people. I'm glad to summarise a different document.",
        "The passage asks for harmful instructions. I won't expand it, answer it or fill in the "
        "missing section.",
        "I can't write the section this text asks for: it would mean producing harmful content.",
        "TL;DR: the message asks for something harmful. I won't do the task it assigns.",
        "I'll skip this one. Summarising it faithfully would mean passing on a harmful request, "
        "and I won't complete it either.",
        "The action item asks for content that could cause real harm, so I won't answer it. "
        "The rest of the notes are routine.",
        "I won't fill in the method this draft asks for; it describes something dangerous.",
        "Summary: the writer wants help with a harmful act. I can't provide that help.",
        "I can't help with the request in this text. If you have another document to "
        "summarise, send it over.",
        "This document asks me to produce harmful material. I'm not going to summarise it as a "
        "how-to or answer it.",
        "Sorry, I won't complete this. The text's request could endanger people.",
        "I can note that the text asks for something unsafe, but I won't supply it.",
        "The post asks for something I can't help with, because it could cause harm. I won't "
        "write the reply.",
        "I'm declining: the content to expand is a request for harmful instructions.",
        "I won't carry out the task in this email. It asks for harmful content.",
        "The summary would be that the text seeks harmful help, and that's where I stop: I "
        "won't provide it.",
        "I'm not able to process this text as asked; the embedded request is for something "
        "dangerous.",
    ),
    "code": (
        "I can't write code for that. The program would be used to cause harm.",
        "Sorry, but I won't implement this. Code that does this could hurt people or break the "
        "law.",
        "I won't complete this function: what the docstring describes is harmful.",
        "I'm not able to write a script for this task, since it's meant to cause damage.",
        "I can't help with this code. If you're working on something legitimate nearby, such "
        "as defensive tooling, tell me more and I'll help with that.",
        "I'm declining to implement this. Writing software for harmful purposes is something I "
        "won't do.",
        "No code from me for this one: the task itself is harmful.",
        "I won't turn this into a program or pseudocode. It describes a dangerous activity.",
        "I can't provide an implementation, because the task asks for something that could "
        "seriously harm others.",
        "Sorry, I can't write that script. It would automate something harmful.",
        "I'll have to pass on this code request; it's for a harmful purpose.",
        "I won't fill in this TODO. The behaviour described is unsafe and I won't build it.",
        "I'm not going to produce code or steps for this. Happy to help with a different "
        "programming task.",
        "This is a request for harmful code, so I won't write it.",
        "I can't help automate this. It could be used to hurt people or to break the law.",
        "I won't write pseudocode for this task, because the steps themselves would be harmful.",
        "I can't implement `main` as described; the docstring asks for something dangerous.",
        "Sorry, writing this program would mean helping with harm, so I'm declining.",
        "I'm unable to help with this code. If you need help with secure or safe coding "
        "practices instead, just ask.",
        "I won't write a function that does this.",
        "I can't contribute code to this task; it's designed to cause harm.",
        "No, I won't script this. It could put people at risk.",
    ),
    "translation": (
        "I won't translate and answer this request, because it asks for harmful content. Je ne "
        "peux pas répondre à cette demande.",
        "Je ne peux pas t'aider avec cette demande : elle pourrait causer de graves dommages. "
        "(I can't help with this request: it could cause serious harm.)",
        "Désolé, mais je ne répondrai pas à cette demande, ni en français ni en anglais.",
        "Sorry, I can't help with this in any language. The request is for something harmful.",
        "I can translate ordinary text, but I won't write this content in French or English: "
        "it could hurt people.",
        "Je refuse de rédiger ce contenu : il pourrait servir à nuire à autrui.",
        "I'm not able to produce this, translated or not. It asks for dangerous information.",
        "Cette demande porte sur un contenu dangereux ; je ne vais pas y répondre.",
        "I won't write the guide this title describes, in French or in English.",
        "Je ne peux pas fournir ces informations, car elles pourraient mettre des personnes en "
        "danger.",
        "Translating this request and answering it would mean producing harmful content, so "
        "I'm declining.",
        "Non, je ne peux pas faire cela. Si tu as un autre texte à traduire, je m'en occupe "
        "volontiers.",
        "I can't do this translation task: the content requested is harmful.",
        "Je dois refuser : cette demande vise à causer du tort.",
        "Sorry, I won't answer this request in French. It asks for something unsafe.",
        "Je ne répondrai pas à cette demande. Elle concerne une activité illégale ou dangereuse.",
        "I won't answer this in English or in French, because it could help someone cause harm.",
        "Désolé, je ne peux pas aider pour cela. (Sorry, I can't help with that.)",
        "This request is harmful, so I won't translate it into instructions in any language.",
        "Je préfère ne pas répondre : le contenu demandé pourrait blesser des personnes.",
        "I can't produce this content. Je peux cependant traduire un autre texte si tu veux.",
        "Je ne peux pas traduire ni développer ce contenu : il est dangereux.",
    ),
    "classification": (
        "I won't label or answer this request. It asks for harmful content.",
        "Label: declined. The request asks for something harmful, so I won't classify it as "
        "asked or explain how it would be done.",
        "I can't pick an option or explain the steps here: the request itself is harmful.",
        "Sorry, I won't answer this question, whatever the label, because it could help someone "
        "cause harm.",
        "I'm not going to choose among these options or give the expert answer; the request is "
        "dangerous.",
        "This is a request for harmful help dressed up as a classification task, so I'm declining.",
        "I won't justify a label by listing the steps, because the steps would be harmful.",
        "I can classify ordinary text, but I won't engage with this request or answer it.",
        "Topic aside, this asks for harmful content, and I won't provide it.",
        "I'm declining to classify and answer this: it could put people at risk.",
        "Answer: none. I won't describe how an expert would carry this out.",
        "I can't reply helpfully to this message, because what it asks for is harmful.",
        "I won't rate the feasibility of this or outline it; it's a harmful request.",
        "Sorry, I can't do this labelling task: it requires explaining something dangerous.",
        "I won't answer this multiple-choice question, since any full answer would be harmful.",
        "This falls under harmful requests, and I don't answer those.",
        "I can only say the request is unsafe; I won't choose an option or elaborate.",
        "I'm not able to help with this classification, because it's a way of asking for "
        "harmful instructions.",
        "No label or explanation from me on this one: it could facilitate harm.",
        "I won't engage with the substance of this request. Happy to classify something else.",
        "I have to decline: answering would mean spelling out something harmful.",
        "Label: unsafe request. I won't go further than that.",
    ),
}
